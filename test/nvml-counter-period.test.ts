// The NVML energy counter's update period, timed at probe open by polling it (NVML gives no time of
// its own for the counter): polls the scheduler delayed must not make the period look short or long.
// The clock and counter are scripted: the counter steps every 1 ms of the clock, each clock read
// costs 10 µs, and just as the clock is about to reach chosen steps the poller is kept off its core.
import { describe, expect, it } from 'vitest'
import { counterPeriodMs } from '../plugins/probes/nvml/index.js'

/** A clock that advances 10 µs per read, and `stallMs` more on the read that reaches each of `at`. */
function scripted(periodMs: number, stallMs = 0, at: number[] = [], steps?: (t: number) => number) {
  let t = 0
  const pending = [...at]
  const now = () => {
    t += 0.01
    if (pending.length && t >= pending[0]) {
      pending.shift()
      t += stallMs
    }
    return t
  }
  // one step per period since the clock's start, unless the test gives its own steps
  const counter = () => (steps ? steps(t) : Math.floor(t / periodMs))
  return { now, counter }
}

describe('NVML counter update period at open', () => {
  it('is the period on a quiet machine', () => {
    const { now, counter } = scripted(1)
    expect(counterPeriodMs(counter, 600, now)).toBeCloseTo(1, 1)
  })

  it('stays the period when every other step is seen late', () => {
    // kept off the core for 0.7 ms as steps 2, 4 and 6 come: each of those is seen 0.7 ms late, so
    // the gaps alternate 1.7 and 0.3 ms and their median is 1.7 ms (the rule before gave that, and
    // 0.27 ms for a 1 ms counter on a loaded CI machine)
    const { now, counter } = scripted(1, 0.7, [2, 4, 6])
    const p = counterPeriodMs(counter, 600, now)
    expect(p).not.toBeNull()
    expect(p!).toBeGreaterThan(0.97)
    expect(p!).toBeLessThan(1.03)
  })

  it('is the median gap of a counter whose steps are not evenly spaced', () => {
    // steps 0.9 and 1.1 ms apart in turn: no single period fits every gap
    const steps = (t: number) => 2 * Math.floor(t / 2) + (t % 2 >= 0.9 ? 1 : 0)
    const { now, counter } = scripted(1, 0, [], steps)
    const p = counterPeriodMs(counter, 600, now)
    expect(p!).toBeGreaterThanOrEqual(0.88)
    expect(p!).toBeLessThanOrEqual(1.12)
  })

  it('is unknown when the counter does not change twice within the budget', () => {
    const { now, counter } = scripted(1000)
    expect(counterPeriodMs(counter, 600, now)).toBeNull()
  })
})
