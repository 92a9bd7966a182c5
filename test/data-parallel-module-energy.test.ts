/**
 * Data parallel on modules (Grace Hopper superchips, a Jetson): each process's total is its module's
 * energy (the module holds its CPU, GPU and memory), and the experiment's total counts each module once
 * over the union of the windows of the processes that read it: two GH200s add up; one Jetson read by two
 * processes is one meter; the same module key on two hosts is two modules. Expected joules are the
 * scenario's module watts times the seconds each module was measured.
 */
import { describe, expect, it } from 'vitest'
import { aggregate } from '../core/results/aggregate.js'
import { aggregatedResultSchema, type RawProcessResult } from '../core/results/schema.js'
import { rawProcess } from './fixtures/raw-process.js'

/** A process whose total is its modules' energy: `modules` maps a module key to its watts, `gpus` its GPUs inside them. */
function onModules(index: number, window: [number, number], modules: Record<string, number>, gpus: Record<string, number>, host = 'node-a', opts: { named?: boolean; uncertaintyJ?: number } = {}): RawProcessResult {
  const seconds = window[1] - window[0]
  const gpuJ = Object.fromEntries(Object.entries(gpus).map(([u, w]) => [u, w * seconds]))
  const raw = rawProcess({ index, window, host, gpus: gpuJ })
  const moduleJ = Object.fromEntries(Object.entries(modules).map(([k, w]) => [k, w * seconds]))
  const total = Object.values(moduleJ).reduce((a, b) => a + b, 0)
  Object.assign(raw.energy_per_device_j, moduleJ)
  const e = raw.energy_metrics!
  e.total_energy_j = total
  e.component_methods.module = { probe: Object.keys(modules)[0].split(':')[0], method: 'integrated_power', confidence: 'medium' }
  if (opts.named !== false) e.total_domains = Object.keys(modules)
  if (opts.uncertaintyJ !== undefined) raw.energy_per_device_uncertainty_j = Object.fromEntries(Object.keys(modules).map((k) => [k, opts.uncertaintyJ!]))
  return raw
}

const GH = (n: number) => `nvml:GPU-gh200-000${n}/module`

describe('module energy over data-parallel processes', () => {
  it('two Grace Hopper modules, one per process: their energies add up (450 W and 470 W over 10 s)', () => {
    const agg = aggregate([onModules(0, [0, 10], { [GH(1)]: 450 }, { 'GPU-gh200-0001': 300 }), onModules(1, [0, 10], { [GH(2)]: 470 }, { 'GPU-gh200-0002': 310 })])
    expect(agg.total_energy_j).toBeCloseTo(4500 + 4700, 6)
    expect(agg.avg_energy_per_token_j).toBeCloseTo(9200 / 200, 6)
    expect(agg.aggregation.warnings.join('\n')).not.toMatch(/module energy|no total energy/)
    expect(aggregatedResultSchema.safeParse(agg).success).toBe(true)
  })

  it('one Jetson module read by two processes on its host: counted once over the union of their windows', () => {
    // 20 W; windows [0, 10] and [5, 12] on the same board: the module measured for 12 s
    const agg = aggregate([onModules(0, [0, 10], { 'jetson:VDD_IN': 20 }, {}), onModules(1, [5, 12], { 'jetson:VDD_IN': 20 }, {})])
    expect(agg.total_energy_j).toBeCloseTo(20 * 12, 6)
  })

  it('the same module key on two hosts is two modules', () => {
    const agg = aggregate([onModules(0, [0, 10], { 'jetson:VDD_IN': 20 }, {}, 'orin-1'), onModules(1, [0, 10], { 'jetson:VDD_IN': 25 }, {}, 'orin-2')])
    expect(agg.total_energy_j).toBeCloseTo(200 + 250, 6)
  })

  it('each module states its interval: the total states theirs in quadrature', () => {
    const agg = aggregate([onModules(0, [0, 10], { [GH(1)]: 450 }, {}, 'node-a', { uncertaintyJ: 30 }), onModules(1, [0, 10], { [GH(2)]: 470 }, {}, 'node-a', { uncertaintyJ: 40 })])
    expect(agg.total_energy_uncertainty_j).toBeCloseTo(50, 6)
  })

  it('a module without an error model: the total is reported, its interval not, and the warning says why', () => {
    const agg = aggregate([onModules(0, [0, 10], { [GH(1)]: 450 }, {}), onModules(1, [0, 10], { [GH(2)]: 470 }, {})])
    expect(agg.total_energy_j).toBeCloseTo(9200, 6)
    expect(agg.total_energy_uncertainty_j).toBeNull()
    expect(agg.aggregation.warnings.join('\n')).toMatch(/energy uncertainty is not combined .*states no uncertainty/)
  })

  it('results that do not name their total\'s domains (an older llem): no total, and the warning says why', () => {
    const agg = aggregate([onModules(0, [0, 10], { [GH(1)]: 450 }, {}, 'node-a', { named: false }), onModules(1, [0, 10], { [GH(2)]: 470 }, {}, 'node-a', { named: false })])
    expect(agg.total_energy_j).toBeNull()
    expect(agg.aggregation.warnings.join('\n')).toMatch(/does not name the domains its total adds up/)
  })
})
