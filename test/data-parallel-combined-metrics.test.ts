/**
 * A data-parallel result's extended metrics and throttling come from every process, not process 0:
 * per-request figures pooled over all requests, memory summed over the copies of the model, an
 * engine's batch averaged over the engines by how long each ran, throttled if any process throttled.
 */
import { describe, expect, it } from 'vitest'
import { aggregate } from '../core/results/aggregate.js'
import type { RawProcessResult } from '../core/results/schema.js'
import { rawProcess } from './fixtures/raw-process.js'

const meets = (ok: boolean) => ({ e2e_ms: ok ? 100 : 900 })

describe('data-parallel extended metrics, combined over the processes', () => {
  it('SLO attainment and goodput over all requests: 2 of 4 and 6 of 6 meet the target = 8 of 10', () => {
    const agg = aggregate([
      rawProcess({ index: 0, window: [0, 10], requests: [meets(true), meets(true), meets(false), meets(false)], extended: { request_latency: { e2e_ms: null, slo_attainment: 0.5, goodput_requests_per_second: 0.2 } } }),
      rawProcess({ index: 1, window: [0, 10], requests: Array.from({ length: 6 }, () => meets(true)), extended: { request_latency: { e2e_ms: null, slo_attainment: 1, goodput_requests_per_second: 0.6 } } }),
    ])
    const rl = agg.extended_metrics!.request_latency
    expect(rl.slo_attainment).toBeCloseTo(8 / 10, 9)
    // 8 requests met every target over the 10 s both processes measured
    expect(rl.goodput_requests_per_second).toBeCloseTo(8 / 10, 9)
    // e2e pooled: eight requests of 100 ms and two of 900 ms
    expect(rl.e2e_ms!.count).toBe(10)
    expect(rl.e2e_ms!.mean).toBeCloseTo((8 * 100 + 2 * 900) / 10, 9)
  })

  it('TPOT is the mean over every request of every process', () => {
    const agg = aggregate([
      rawProcess({ index: 0, window: [0, 10], requests: [{ tpot_ms: 10 }, { tpot_ms: 20 }], extended: { tpot_ms: 15 } }),
      rawProcess({ index: 1, window: [0, 10], requests: [{ tpot_ms: 40 }], extended: { tpot_ms: 40 } }),
    ])
    expect(agg.extended_metrics!.tpot_ms).toBeCloseTo((10 + 20 + 40) / 3, 9)
  })

  it('memory: each process holds its own model copy on its own GPU, so the footprints add up', () => {
    const mem = (peak: number) => ({ memory: { peak_memory_mb: peak, model_memory_mb: 500, tokens_per_gb: null, rss_peak_mb: 300, gpu_memory_peak_mb: peak, source: 'gpu probe' } })
    const agg = aggregate([
      rawProcess({ index: 0, window: [0, 10], outputTokens: 1024, gpus: { 'GPU-A': 100 }, extended: mem(1024) }),
      rawProcess({ index: 1, window: [0, 10], outputTokens: 1024, gpus: { 'GPU-B': 100 }, extended: mem(3072) }),
    ])
    const m = agg.extended_metrics!.memory
    expect(m.peak_memory_mb).toBe(4096)
    expect(m.gpu_memory_peak_mb).toBe(4096)
    expect(m.model_memory_mb).toBe(1000)
    expect(m.rss_peak_mb).toBe(600)
    // 2048 tokens over 4 GB
    expect(m.tokens_per_gb).toBeCloseTo(512, 9)
  })

  it('memory read from one GPU by two processes is not added twice: null, with a warning', () => {
    const mem = { memory: { peak_memory_mb: 2048, model_memory_mb: 500, tokens_per_gb: null, rss_peak_mb: 300, gpu_memory_peak_mb: 2048, source: 'gpu probe' } }
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], gpus: { 'GPU-A': 100 }, extended: mem }), rawProcess({ index: 1, window: [0, 10], gpus: { 'GPU-A': 100 }, extended: mem })])
    expect(agg.extended_metrics!.memory.gpu_memory_peak_mb).toBeNull()
    expect(agg.extended_metrics!.memory.peak_memory_mb).toBeNull()
    expect(agg.measurement_warnings.join('\n')).toContain('GPU memory cannot be summed')
  })

  it("batch is an engine's: 2 in flight for 10 s on one engine and 4 for 30 s on the other average 3.5", () => {
    const batch = (b: number) => ({ batch: { effective_batch_size: b, target_concurrency: 4, padding_overhead: null } })
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], extended: batch(2) }), rawProcess({ index: 1, window: [0, 30], extended: batch(4) })])
    expect(agg.extended_metrics!.batch.effective_batch_size).toBeCloseTo((2 * 10 + 4 * 30) / 40, 9)
    expect(agg.extended_metrics!.batch.target_concurrency).toBe(4)
  })

  it("the methodology's headline J/token is the experiment's, not process 0's steady state", () => {
    const methodology = (perToken: number): NonNullable<RawProcessResult['measurement_methodology']> => ({
      energy_method: 'counter', energy_confidence: 'high', energy_probes: ['rapl'], unavailable_probes: {}, windows: ['total', 'steady_state'],
      headline_window: 'steady_state', headline_reason: 'steady state lasted 8 s', headline_energy_per_token_j: perToken,
      latency_mode: 'TRUE_STREAMING', sample_interval_ms: 100, timeline_samples: 100, warmup: 'fixed', baseline: 'fresh', notes: [],
      headline_energy_per_token_uncertainty_j: perToken / 10,
    })
    const p0 = rawProcess({ index: 0, window: [0, 10], outputTokens: 500, host: 'node-a', cpuJ: 100 })
    const p1 = rawProcess({ index: 1, window: [0, 10], outputTokens: 300, host: 'node-b', cpuJ: 140 })
    p0.measurement_methodology = methodology(0.15)
    p1.measurement_methodology = methodology(0.4)
    // each host's counter states its own error: ±3 J and ±4 J, independent meters, ±5 J together
    p0.energy_metrics = { ...p0.energy_metrics!, cpu_energy_uncertainty_j: 3, total_energy_uncertainty_j: 3, cpu_power_range_w: [10, 10] }
    p1.energy_metrics = { ...p1.energy_metrics!, cpu_energy_uncertainty_j: 4, total_energy_uncertainty_j: 4, cpu_power_range_w: [14, 14] }
    const agg = aggregate([p0, p1])
    expect(agg.measurement_methodology!.headline_window).toBe('total')
    // 240 J on two hosts for 800 tokens
    expect(agg.avg_energy_per_token_j).toBeCloseTo(240 / 800, 9)
    expect(agg.measurement_methodology!.headline_energy_per_token_j).toBeCloseTo(240 / 800, 9)
    // and so is its interval: 5 J over the 800 tokens, not process 0's 0.015 J/token
    expect(agg.avg_energy_per_token_uncertainty_j).toBeCloseTo(5 / 800, 9)
    expect(agg.measurement_methodology!.headline_energy_per_token_uncertainty_j).toBeCloseTo(5 / 800, 9)
    expect(agg.measurement_methodology!.timeline_samples).toBe(200)
  })

  it('throttled when any process throttled, even if process 0 did not', () => {
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], throttled: false }), rawProcess({ index: 1, window: [0, 10], throttled: true })])
    expect(agg.thermal_throttle!.throttled).toBe(true)
  })
})
