/**
 * Energy at a time inside the window (the steady state's edges) from a counter that moves once per
 * update period. A GPU drawing a constant 100 W has, at time t ms, used exactly 0.1 x t J; a counter
 * updating every 50 ms shows the energy up to its last move, and the timeline reads it every 20 ms.
 * Dated where it moved, the interpolated energy is within a fraction of one update of the truth;
 * dated where it was read, it runs behind by as much as its read is stale (up to 40 ms here, 4 J).
 */
import { describe, expect, it } from 'vitest'
import { interpolateCounterAware, interpolateSnapshot, type EnergySnapshot } from '../core/measure/probe-set.js'

const KEY = 'nvml:GPU-0'
const WATTS = 100
const PERIOD_MS = 50
const truth = (t: number) => (WATTS * t) / 1000

/** the timeline: a read every 20 ms; exact reads at both ends (the window's edges are aligned) */
function timeline(endMs: number): EnergySnapshot[] {
  const out: EnergySnapshot[] = []
  for (let t = 0; t <= endMs; t += 20) {
    const counter = t === 0 || t === endMs ? truth(t) : truth(Math.floor(t / PERIOD_MS) * PERIOD_MS)
    out.push({ t, domains: { [KEY]: { kind: 'gpu', energy_j: counter, counted: true } } })
  }
  return out
}

describe('sub-window energy from a coarse counter', () => {
  it('dated where the counter moved: within half an update of the truth at every point inside', () => {
    const tl = timeline(1000)
    let worstAware = 0
    let worstPlain = 0
    for (let t = 100; t <= 900; t += 7) {
      const aware = interpolateCounterAware(tl, t, new Set([KEY]))!.domains[KEY].energy_j
      const plain = interpolateSnapshot(tl, t)!.domains[KEY].energy_j
      worstAware = Math.max(worstAware, Math.abs(aware - truth(t)))
      worstPlain = Math.max(worstPlain, Math.abs(plain - truth(t)))
    }
    // an update is 5 J; a move is seen within one 20 ms read (2 J), dated at the read's midpoint
    expect(worstAware).toBeLessThan(2.5)
    expect(worstPlain).toBeGreaterThanOrEqual(3.99)
  })

  it('domains not marked coarse interpolate between reads as before', () => {
    const tl = timeline(1000)
    expect(interpolateCounterAware(tl, 333, new Set())!.domains[KEY].energy_j).toBe(interpolateSnapshot(tl, 333)!.domains[KEY].energy_j)
  })
})
