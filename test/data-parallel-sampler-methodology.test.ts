/**
 * Data parallel: the aggregated methodology says how every process was sampled, not only the first.
 * The worst process's sampler jitter is the experiment's, and one process sampled on its event loop
 * (a probe that cannot run in a thread) makes the experiment's sampler 'event-loop', with its reason.
 * The longest gap is the longest of any process's, and each edge's energy reads the slowest of any
 * process's at that edge.
 */
import { describe, expect, it } from 'vitest'
import { aggregate } from '../core/results/aggregate.js'
import { aggregatedResultSchema, type RawProcessResult } from '../core/results/schema.js'
import { rawProcess } from './fixtures/raw-process.js'

function withSampler(index: number, sampler: 'worker-thread' | 'event-loop', jitterMs: number, reason: string | null, maxGapMs = 12, edgeReadMs: [number | null, number | null] = [0.05, 0.05]): RawProcessResult {
  const raw = rawProcess({ index, window: [0, 10], outputTokens: 100 })
  raw.measurement_methodology = {
    energy_method: 'counter', energy_confidence: 'high', energy_probes: ['nvml'], unavailable_probes: {}, windows: ['total'],
    headline_window: 'total', headline_reason: 'scripted', headline_energy_per_token_j: 1, latency_mode: 'TRUE_STREAMING',
    sample_interval_ms: 10, timeline_samples: 1000, sample_interval_jitter_p99_ms: jitterMs, sample_interval_max_gap_ms: maxGapMs, edge_read_ms: edgeReadMs, sampler, sampler_reason: reason,
    warmup: 'fixed: 0 requests', baseline: 'disabled', notes: [],
  }
  return raw
}

describe('data-parallel sampler methodology', () => {
  it('the worst jitter of the processes, and the event loop where one process sampled on it', () => {
    const agg = aggregate([withSampler(0, 'worker-thread', 0.2, null), withSampler(1, 'event-loop', 35, 'probe x cannot be sampled from a worker thread'), withSampler(2, 'worker-thread', 0.4, null)])
    expect(agg.measurement_methodology?.sample_interval_jitter_p99_ms).toBe(35)
    expect(agg.measurement_methodology?.sampler).toBe('event-loop')
    expect(agg.measurement_methodology?.sampler_reason).toBe('probe x cannot be sampled from a worker thread')
    expect(agg.measurement_methodology?.timeline_samples).toBe(3000)
    expect(aggregatedResultSchema.safeParse(agg).success).toBe(true)
  })

  it('every process on its thread: worker-thread, with the largest of their jitters', () => {
    const agg = aggregate([withSampler(0, 'worker-thread', 0.2, null), withSampler(1, 'worker-thread', 0.7, null)])
    expect(agg.measurement_methodology?.sampler).toBe('worker-thread')
    expect(agg.measurement_methodology?.sampler_reason).toBeNull()
    expect(agg.measurement_methodology?.sample_interval_jitter_p99_ms).toBe(0.7)
  })

  it('the longest gap of any process, even where every p99 is on time (one stall in one process)', () => {
    const agg = aggregate([withSampler(0, 'worker-thread', 0.2, null, 11.5), withSampler(1, 'worker-thread', 0.3, null, 212), withSampler(2, 'worker-thread', 0.2, null, 10.9)])
    expect(agg.measurement_methodology?.sample_interval_max_gap_ms).toBe(212)
  })

  it("each edge's reads: the slowest of any process's at that edge, an unknown one left out", () => {
    const agg = aggregate([withSampler(0, 'worker-thread', 0.2, null, 11, [0.04, 9.5]), withSampler(1, 'worker-thread', 0.2, null, 11, [14.2, 0.06]), withSampler(2, 'worker-thread', 0.2, null, 11, [null, 0.05])])
    expect(agg.measurement_methodology?.edge_read_ms).toEqual([14.2, 9.5])
    expect(aggregatedResultSchema.safeParse(agg).success).toBe(true)
  })
})
