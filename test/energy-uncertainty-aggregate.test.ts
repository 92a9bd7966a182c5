/**
 * Uncertainty of data-parallel and per-device energy in the aggregated result. Two processes on two
 * GPUs measured one each: their errors are independent (own sensor, own counter clock), so the 95%
 * half-widths of the sum add in quadrature (3 J and 4 J give 5 J). Where the combined energy is not
 * a plain sum (host meters pro-rated over partly overlapping windows), the pro-rated share's worst case
 * (t(T - t)/T times the range of power the process measured) is added to the readings' own intervals;
 * without that range no interval is claimed, and the result says why.
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

  // One host, two processes: its CPU draws 10 W until t = 10 s and 30 W after (the scenario's truth).
  // Process 0 reads [0, 10] s: 100 J; process 1 reads [4, 14] s: 6 s x 10 W + 4 s x 30 W = 180 J, and
  // its 100 ms blocks saw 10 W and 30 W. The true CPU energy over the union [0, 14] is 100 + 120 = 220 J.
  const hostCpu = (index: number, window: [number, number], gpu: string, gpuJ: number, cpuJ: number, cpuU: number, range: [number, number] | null, gpuU: number) => {
    const p = rawProcess({ index, window, gpus: { [gpu]: gpuJ }, cpuJ })
    return {
      ...p,
      energy_metrics: { ...p.energy_metrics!, gpu_energy_uncertainty_j: gpuU, cpu_energy_uncertainty_j: cpuU, cpu_power_range_w: range, total_energy_uncertainty_j: Math.hypot(gpuU, cpuU) },
    } satisfies RawProcessResult
  }

  it('host CPU pro-rated over partly overlapping windows: the interval holds the worst case the measured power range allows, and covers the truth', () => {
    const agg = aggregate([hostCpu(0, [0, 10], 'GPU-a', 1000, 100, 0.5, [10, 10], 3), hostCpu(1, [4, 14], 'GPU-b', 1500, 180, 0.5, [10, 30], 4)])
    const trueTotal = 1000 + 1500 + 220
    // llem pro-rates process 1's 4 uncovered seconds at its mean power (18 W): 100 + 72 = 172 J, 48 J short
    expect(agg.total_energy_j).toBeCloseTo(2500 + 172, 9)
    const u = agg.total_energy_uncertainty_j!
    expect(u).not.toBeNull()
    // the truth lies inside the stated interval, however the 20 W step fell in process 1's window
    expect(Math.abs(agg.total_energy_j! - trueTotal)).toBeLessThanOrEqual(u)
    // and the interval is no wider than that worst case plus the readings' own half-widths
    expect(u).toBeLessThanOrEqual(48 + 3 + 4 + 0.5 + 0.5)
    expect(agg.aggregation.warnings.join('\n')).toMatch(/pro-rated shares/)
  })

  it('a constant host power: pro-rating is exact, and the interval is the readings\' own', () => {
    // 12 W throughout: each process reads 120 J over its 10 s; the union of [0, 10] and [4, 14] is 168 J
    const agg = aggregate([hostCpu(0, [0, 10], 'GPU-a', 1000, 120, 0.5, [12, 12], 3), hostCpu(1, [4, 14], 'GPU-b', 1500, 120, 0.5, [12, 12], 4)])
    expect(agg.total_energy_j).toBeCloseTo(2500 + 168, 9)
    // the GPUs (±3, ±4 J) are independent meters; the host CPU's two readings (±0.5 J each) are one
    // meter's, sharing its calibration: the first whole, the second for the 4 s of its 10 it stands for
    // (±0.2 J), ±0.7 J together (the meter's 0.42% of the 168 J), then in quadrature with the GPUs
    expect(agg.total_energy_uncertainty_j).toBeCloseTo(Math.sqrt(3 * 3 + 4 * 4 + 0.7 * 0.7), 3)
  })

  it('host CPU pro-rated without a measured power range (older results): no combined interval, and a warning saying so', () => {
    const agg = aggregate([hostCpu(0, [0, 10], 'GPU-a', 1000, 120, 0.5, null, 3), hostCpu(1, [4, 14], 'GPU-b', 1500, 120, 0.5, null, 4)])
    expect(agg.total_energy_j).toBeCloseTo(2500 + 12 * 14, 9)
    expect(agg.total_energy_uncertainty_j).toBeNull()
    expect(agg.avg_energy_per_token_uncertainty_j).toBeNull()
    expect(agg.aggregation.warnings.join('\n')).toMatch(/energy uncertainty is not combined .*power range over the window is unknown/)
  })

  it('a process without an interval: none for the experiment either', () => {
    const agg = aggregate([withUnc({ index: 0, window: [0, 10], gpus: { 'GPU-a': 1000 } }, 3, {}), rawProcess({ index: 1, window: [0, 10], gpus: { 'GPU-b': 1500 } })])
    expect(agg.total_energy_uncertainty_j).toBeNull()
  })
})
