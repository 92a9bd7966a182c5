// A window edge read without aligning to a counter's update (RAPL, any counter llem has no period for):
// the energy is what the counter held at the moment it was read, and the edge is dated by the clock on
// both sides of the reads (core/measure/probe-set.ts, readSnapshot). A read kept off its core must not
// be dated to a clock taken before the wait with nothing said: the stated interval must hold the energy
// of the window as dated. The clock and the counter are scripted: 300 W, a counter that moves
// continuously (a 1 µJ unit), each clock read costing 10 µs.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { energyBetween } from '../core/measure/probe-set.js'
import { Timeline } from '../core/measure/timeline.js'
import { domainSensors, windowUncertainty } from '../core/measure/window-uncertainty.js'
import type { ProbeSession } from '../core/probes/types.js'

const WATTS = 300

let t = 0
/** the next counter read is preceded by `before` ms off the core, and followed by `after` ms (a slow call) */
let stall = { before: 0, after: 0 }

function scriptClock(start: number) {
  t = start
  vi.spyOn(performance, 'now').mockImplementation(() => (t += 0.01))
}

function counterSession(): ProbeSession {
  return {
    probe: 'fake',
    method: 'counter',
    confidence: 'high',
    readEnergy: () => {
      t += stall.before
      const energy_j = Math.floor(((t * WATTS) / 1000) * 1e6) / 1e6
      t += stall.after
      stall = { before: 0, after: 0 }
      return [{ domain: 'package-0', kind: 'cpu', energy_j }]
    },
    sample: () => ({}),
    describe: () => ({}),
    warnings: () => [],
    // a counter whose own update period and accuracy add (almost) nothing: what is left is the edges' timing
    errorModel: () => ({ method: 'counter', accuracy: { absolute_w: 0, relative: 0, source: 'scripted' }, resolution_j: 1e-6, update_period_ms: 0.001, edge_power_from_timeline: false }),
    close: () => {},
  } as unknown as ProbeSession
}

afterEach(() => {
  vi.restoreAllMocks()
  stall = { before: 0, after: 0 }
})

/** A 10 ms window through the timeline's own edge reads; `startStall` delays the window's first read. */
function window(startStall: { before: number; after: number }) {
  scriptClock(100)
  const session = counterSession()
  const timeline = new Timeline([session])
  stall = startStall
  const start = timeline.tick('start')!
  t += 10 // the load
  const end = timeline.tick('end')!
  const delta = energyBetween(start, end)
  const iv = windowUncertainty(domainSensors([session], [], timeline.rows), delta, start.t, end.t, undefined, { start, end }).total!
  // the truth: 300 W over the window as its edges are dated
  const truth = (WATTS * (end.t - start.t)) / 1000
  return { start, end, energy: delta.total!, truth, iv }
}

/** when a snapshot's counter was read: the scripted counter holds 300 W x the clock at its read */
const readAt = (snap: { domains: Record<string, { energy_j: number }> }) => (snap.domains['fake:package-0'].energy_j * 1000) / WATTS

describe('a plain window edge', () => {
  it('dates a read kept off its core within the span it states', () => {
    // 1 ms off the core before the counter is read, then a 2 ms call: the read is 1 ms into a 3 ms span
    const { start, end } = window({ before: 1, after: 2 })
    expect(start.read_ms).toBeGreaterThanOrEqual(3)
    expect(Math.abs(readAt(start) - start.t)).toBeLessThanOrEqual(start.read_ms! / 2)
    // (dating it by the clock before the reads would put it 1 ms early)
    expect(Math.abs(readAt(start) - start.t)).toBeLessThan(0.6)
    expect(end.read_ms).toBeLessThan(0.05)
    expect(Math.abs(readAt(end) - end.t)).toBeLessThan(0.02)
  })

  it("the window's stated interval holds its energy as dated, and is as wide as the wait, no wider", () => {
    const { energy, truth, iv } = window({ before: 1, after: 2 })
    // the read 0.5 ms before the middle of its span: 300 W x 0.5 ms more energy than the dated window's
    expect(Math.abs(energy - truth - 0.15)).toBeLessThan(0.01)
    expect(truth).toBeGreaterThanOrEqual(iv.low_j)
    expect(truth).toBeLessThanOrEqual(iv.high_j)
    // 300 W x 1.5 ms (half the start's span) bounds the edge; the interval is no wider than that bound
    expect(iv.half_width_j).toBeLessThan(0.46)
  })

  it('a read waited for entirely before it is off by at most power x half the span, the edge term\'s range', () => {
    const { energy, truth, start, end } = window({ before: 3, after: 0 })
    const bound = (WATTS * (start.read_ms! + end.read_ms!)) / 2 / 1000
    expect(Math.abs(energy - truth)).toBeGreaterThan(0.4)
    expect(Math.abs(energy - truth)).toBeLessThanOrEqual(bound)
  })

  it('prompt reads: the window power within 0.1% of the 300 W drawn, and an interval to match', () => {
    const { energy, truth, iv, start, end } = window({ before: 0, after: 0 })
    expect(Math.abs(energy / ((end.t - start.t) / 1000) / WATTS - 1)).toBeLessThan(0.001)
    expect(Math.abs(energy / truth - 1)).toBeLessThan(0.001)
    expect(iv.half_width_j).toBeLessThan(0.01)
  })
})
