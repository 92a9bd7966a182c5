/**
 * The lowest and highest power a host meter (the CPU packages, the RAM) drew over the measured window,
 * as block means of the timeline. A data-parallel experiment whose processes read the same host over
 * windows that only partly overlap counts part of one process's reading at that process's mean power
 * (core/results/window-union.ts); how far that can be from the truth is bounded by how much the power
 * moved (core/results/combine-energy.ts). This is the "how much it moved", measured, never assumed.
 */
import type { EnergySnapshot } from './probe-set.js'
import { energyBetween } from './probe-set.js'

/** block length: a counter that updates every ~1 ms (RAPL) read over a few ms is mostly quantisation */
export const POWER_RANGE_BLOCK_MS = 100

export interface PowerRange {
  cpu: [number, number] | null
  ram: [number, number] | null
}

/**
 * Block means of the cpu and dram totals between t0 and t1: consecutive snapshots are merged until a
 * block lasts POWER_RANGE_BLOCK_MS; a shorter tail is merged into the block before it. Null for a kind
 * that was not measured, or when the window holds no whole block.
 */
export function hostPowerRange(timeline: readonly EnergySnapshot[], t0: number, t1: number): PowerRange {
  const inside = timeline.filter((s) => s.t >= t0 && s.t <= t1)
  const blocks: [EnergySnapshot, EnergySnapshot][] = []
  let from = inside[0]
  for (let i = 1; i < inside.length; i++) {
    if (inside[i].t - from.t < POWER_RANGE_BLOCK_MS) continue
    blocks.push([from, inside[i]])
    from = inside[i]
  }
  const last = inside[inside.length - 1]
  if (blocks.length && from !== last) blocks[blocks.length - 1] = [blocks[blocks.length - 1][0], last]
  const range = (kind: 'cpu' | 'dram'): [number, number] | null => {
    let lo = Infinity
    let hi = -Infinity
    for (const [a, b] of blocks) {
      const e = energyBetween(a, b)[kind]
      if (e === null) return null
      const w = e / ((b.t - a.t) / 1000)
      if (w < lo) lo = w
      if (w > hi) hi = w
    }
    return blocks.length ? [lo, hi] : null
  }
  return { cpu: range('cpu'), ram: range('dram') }
}
