/**
 * Data-parallel throughput: each process opens its measured window after its own warmup, so the
 * windows are lined up on the wall clock and the experiment's rate is its tokens over the seconds at
 * least one process was measuring (the union of the windows), whatever the sessions around them did.
 */
import { describe, expect, it } from 'vitest'
import { aggregate } from '../core/results/aggregate.js'
import { aggregatedResultSchema } from '../core/results/schema.js'
import { rawProcess } from './fixtures/raw-process.js'

describe('data-parallel throughput over the union of the measured windows', () => {
  it('windows offset by 2 s: 1000 output tokens over the 12 s some process was measuring', () => {
    // process 1 warmed up 2 s longer: windows [0, 10] and [2, 12]
    const agg = aggregate([
      rawProcess({ index: 0, window: [0, 10], inputTokens: 100, outputTokens: 500 }),
      rawProcess({ index: 1, window: [2, 12], inputTokens: 100, outputTokens: 500 }),
    ])
    expect(agg.total_inference_time_sec).toBeCloseTo(12, 9)
    expect(agg.output_tokens_per_second).toBeCloseTo(1000 / 12, 9)
    expect(agg.avg_tokens_per_second).toBeCloseTo(1200 / 12, 9)
    expect(agg.aggregation.temporal_overlap_verified).toBe(true)
    // the builder's raw results and the aggregate stay valid against the result schema
    expect(aggregatedResultSchema.safeParse(agg).success).toBe(true)
  })

  it('a gap between windows is not measuring time', () => {
    // [0, 4] and [6, 10]: 8 s measured, not the 10 s span
    const agg = aggregate([rawProcess({ index: 0, window: [0, 4], outputTokens: 400 }), rawProcess({ index: 1, window: [6, 10], outputTokens: 400 })])
    expect(agg.total_inference_time_sec).toBeCloseTo(8, 9)
    expect(agg.output_tokens_per_second).toBeCloseTo(800 / 8, 9)
  })

  it('overlap is judged on the measured windows, not on the sessions, and the warning says what the rate is', () => {
    // the sessions overlap (both started at -20 s), but process 1 measured only after process 0 had finished
    const agg = aggregate([
      rawProcess({ index: 0, window: [0, 10], session: [-20, 11], outputTokens: 500 }),
      rawProcess({ index: 1, window: [15, 25], session: [-20, 26], outputTokens: 500 }),
    ])
    expect(agg.aggregation.temporal_overlap_verified).toBe(false)
    expect(agg.total_inference_time_sec).toBeCloseTo(20, 9)
    expect(agg.output_tokens_per_second).toBeCloseTo(1000 / 20, 9)
    const warning = agg.aggregation.warnings.find((w) => w.includes('do not all overlap'))
    expect(warning).toContain('union of the windows')
    expect(warning).toContain('20.000 s')
    expect(warning).not.toContain('understates')
  })

  it('windows that overlap at one instant are verified; one left outside all the others is not', () => {
    const together = aggregate([0, 1, 2].map((i) => rawProcess({ index: i, window: [i, 10 + i] })))
    expect(together.aggregation.temporal_overlap_verified).toBe(true)
    // [0, 5] and [4, 9] overlap, [8, 12] overlaps only the second: no instant when all three ran
    const chained = aggregate([rawProcess({ index: 0, window: [0, 5] }), rawProcess({ index: 1, window: [4, 9] }), rawProcess({ index: 2, window: [8, 12] })])
    expect(chained.aggregation.temporal_overlap_verified).toBe(false)
    expect(chained.total_inference_time_sec).toBeCloseTo(12, 9)
  })

  it('results without window edges (an older llem): no throughput rather than a guess, and a warning', () => {
    const agg = aggregate([rawProcess({ index: 0, window: null, outputTokens: 500 }), rawProcess({ index: 1, window: null, outputTokens: 500 })])
    expect(agg.output_tokens_per_second).toBeNull()
    expect(agg.avg_tokens_per_second).toBeNull()
    expect(agg.aggregation.temporal_overlap_verified).toBe(false)
    expect(agg.aggregation.warnings.join('\n')).toContain('without measured-window edges')
  })
})
