/**
 * Uncertainty of data-parallel and per-device energy in the aggregated result. Two processes on two
 * GPUs measured one each: their errors are independent (own sensor, own counter clock), so the 95%
 * half-widths of the sum add in quadrature (3 J and 4 J give 5 J). Where the combined energy is not
 * a plain sum (host meters pro-rated over windows), no interval is claimed, and the result says why.
 */
import { describe, expect, it } from 'vitest'
import { aggregate } from '../core/results/aggregate.js'
import type { RawProcessResult } from '../core/results/schema.js'
import { rawProcess, type ProcessSpec } from './fixtures/raw-process.js'

const withUnc = (spec: ProcessSpec, totalJ: number, perDevice: Record<string, number>): RawProcessResult => {
  const p = rawProcess(spec)
  return { ...p, energy_metrics: { ...p.energy_metrics!, total_energy_uncertainty_j: totalJ }, energy_per_device_uncertainty_j: perDevice }
}

describe('energy uncertainty over data-parallel processes', () => {
  it('GPUs only, each read by one process: half-widths add in quadrature, per token and per device carried', () => {
    const agg = aggregate([
      withUnc({ index: 0, window: [0, 10], outputTokens: 400, gpus: { 'GPU-a': 1000 } }, 3, { 'nvml:GPU-a': 3 }),
      withUnc({ index: 1, window: [0, 10], outputTokens: 600, gpus: { 'GPU-b': 1500 } }, 4, { 'nvml:GPU-b': 4 }),
    ])
    expect(agg.total_energy_j).toBeCloseTo(2500, 9)
    expect(agg.total_energy_uncertainty_j).toBeCloseTo(5, 12)
    expect(agg.avg_energy_per_token_uncertainty_j).toBeCloseTo(5 / 1000, 12)
    expect(agg.energy_per_device_uncertainty_j).toEqual({ 'process_0:nvml:GPU-a': 3, 'process_1:nvml:GPU-b': 4 })
  })

  it('host CPU energy pro-rated over the windows: no combined interval, and a warning saying so', () => {
    const agg = aggregate([
      withUnc({ index: 0, window: [0, 10], gpus: { 'GPU-a': 1000 }, cpuJ: 120 }, 3, {}),
      withUnc({ index: 1, window: [4, 14], gpus: { 'GPU-b': 1500 }, cpuJ: 120 }, 4, {}),
    ])
    // GPUs 1000 + 1500 J; the host's 12 W (120 J over 10 s in each process) counted once over the
    // 14 s union of [0, 10] and [4, 14]: 168 J
    expect(agg.total_energy_j).toBeCloseTo(2500 + 12 * 14, 9)
    expect(agg.total_energy_uncertainty_j).toBeNull()
    expect(agg.avg_energy_per_token_uncertainty_j).toBeNull()
    expect(agg.aggregation.warnings.join('\n')).toMatch(/energy uncertainty is not combined/)
  })

  it('a process without an interval: none for the experiment either', () => {
    const agg = aggregate([withUnc({ index: 0, window: [0, 10], gpus: { 'GPU-a': 1000 } }, 3, {}), rawProcess({ index: 1, window: [0, 10], gpus: { 'GPU-b': 1500 } })])
    expect(agg.total_energy_uncertainty_j).toBeNull()
  })
})
