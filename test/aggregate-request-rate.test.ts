/**
 * The figures the console's serving summary reads that the aggregated result did not carry before:
 * successful requests per second of the measured window (the union of the windows with data
 * parallel, as the token rates) and the p99 of the per-request TPOTs.
 */
import { describe, expect, it } from 'vitest'
import { aggregate } from '../core/results/aggregate.js'
import { aggregatedResultSchema, type RawProcessResult } from '../core/results/schema.js'
import { rawProcess } from './fixtures/raw-process.js'

/** n successful requests with TPOTs first, first + 1, ... ms, and `failed` refused ones, as a worker records them */
function withRequests(p: RawProcessResult, n: number, firstTpot: number, failed = 0): RawProcessResult {
  const ok = Array.from({ length: n }, (_, i) => ({ ...p.requests[0], index: i, prompt_id: i, tpot_ms: firstTpot + i }))
  const refused = Array.from({ length: failed }, (_, i) => ({ ...p.requests[0], index: n + i, prompt_id: n + i, ok: false, error: 'HTTP 500', ttft_ms: null, e2e_ms: null, tpot_ms: null }))
  const inf = p.inference_metrics!
  return {
    ...p,
    requests: [...ok, ...refused],
    inference_metrics: { ...inf, num_requests: n + failed, num_failed_requests: failed, latency_measurements: { ...inf.latency_measurements, request_count: n } },
  }
}

describe('aggregated request rate and TPOT p99', () => {
  it('one process: 10 successful of 12 over 4 s is 2.5 req/s; TPOTs 1..10 ms have p99 9.91 ms', () => {
    const agg = aggregate([withRequests(rawProcess({ index: 0, window: [0, 4] }), 10, 1, 2)])
    expect(agg.num_requests).toBe(12)
    expect(agg.num_failed_requests).toBe(2)
    expect(agg.requests_per_second).toBeCloseTo(10 / 4, 12)
    // linear interpolation between ranks: rank 0.99 x 9 = 8.91, between 9 and 10 ms
    expect(agg.latency_stats!.tpot_p99_ms).toBeCloseTo(9.91, 9)
    expect(aggregatedResultSchema.safeParse(agg).success).toBe(true)
  })

  it('data parallel: 10 + 5 requests over the 8 s some process measured ([0, 4] and [2, 8]), not the sum of the rates', () => {
    const agg = aggregate([withRequests(rawProcess({ index: 0, window: [0, 4] }), 10, 1), withRequests(rawProcess({ index: 1, window: [2, 8] }), 5, 11)])
    expect(agg.requests_per_second).toBeCloseTo(15 / 8, 12)
    // TPOTs 1..15 ms over both: rank 0.99 x 14 = 13.86, between 14 and 15 ms
    expect(agg.latency_stats!.tpot_p99_ms).toBeCloseTo(14.86, 9)
  })

  it('a data-parallel experiment with a process that did not complete has no rate', () => {
    const agg = aggregate([withRequests(rawProcess({ index: 0, window: [0, 4] }), 10, 1), rawProcess({ index: 1, window: [0, 4], status: 'failed' })])
    expect(agg.requests_per_second).toBeNull()
  })
})
