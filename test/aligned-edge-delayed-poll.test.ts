// A window edge read in step with a GPU energy counter (core/measure/aligned-edge.ts): the counter's
// move is dated by the polls around it. A poll kept off its core between reading the clock and reading
// the counter must not date the move to before the wait with a tight interval: the stated interval
// (its middle +- poll_ms / 2) must hold the moment the counter really moved. The clock and counter are
// scripted: the counter steps every 5 ms at 300 W (1.5 J a step), each clock read costs 10 µs.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { alignedSnapshot } from '../core/measure/aligned-edge.js'
import type { ProbeSession } from '../core/probes/types.js'

const PERIOD_MS = 5
const WATTS = 300

/** each clock read costs 10 µs; the `stallAt`-th counter read is kept off its core for `stallMs` first */
function scripted(start: number, stallAt: number, stallMs: number) {
  let t = start
  let counterReads = 0
  vi.spyOn(performance, 'now').mockImplementation(() => (t += 0.01))
  // the poller read the clock, then waited before the counter read: the wait sits between the two
  const energy = () => {
    if (++counterReads === stallAt) t += stallMs
    return (Math.floor(t / PERIOD_MS) * PERIOD_MS * WATTS) / 1000
  }
  const session = {
    probe: 'fake',
    method: 'counter',
    confidence: 'high',
    readEnergy: () => [{ domain: 'GPU-x', kind: 'gpu', energy_j: energy() }],
    sample: () => ({ gpu_power_w: WATTS }),
    describe: () => ({}),
    warnings: () => [],
    devices: () => [{ domain: 'GPU-x', index: 0, driver_index: 0, uuid: 'GPU-x', name: 'fake', is_mig: false, mig_profile: null, columns: { power_w: 'gpu_power_w' }, counter_update_period_ms: PERIOD_MS }],
    close: () => {},
  } as unknown as ProbeSession
  return session
}

afterEach(() => vi.restoreAllMocks())

describe('an edge aligned with the energy counter', () => {
  it('dates a move seen by a delayed poll within the interval it states', () => {
    // the edge at 12 ms; the first poll after it is kept off its core for 3 ms between its clock read
    // and its counter read, and sees the step of 15 ms
    // (counter read 1 is the edge's plain read; read 2 the first poll's)
    const snap = alignedSnapshot([scripted(12, 2, 3)], 'end')
    const d = snap.domains['fake:GPU-x']
    expect(d.aligned).toBeDefined()
    const moved = snap.t + d.aligned!.gap_ms
    expect(Math.abs(moved - 15)).toBeLessThanOrEqual(d.aligned!.poll_ms / 2 + 0.02)
  })

  it('dates a move seen by prompt polls to within a few clock reads', () => {
    const snap = alignedSnapshot([scripted(12, -1, 0)], 'end')
    const d = snap.domains['fake:GPU-x']
    expect(d.aligned!.poll_ms).toBeLessThan(0.1)
    expect(Math.abs(snap.t + d.aligned!.gap_ms - 15)).toBeLessThan(0.05)
    // the edge's energy: 300 W up to 12 ms, from the counter's steps at 15 and 20 ms, to within 300 W
    // over a few clock reads (50 µs)
    expect(Math.abs(d.energy_j - (WATTS * 12) / 1000)).toBeLessThan((WATTS * 0.05) / 1000)
  })
})
