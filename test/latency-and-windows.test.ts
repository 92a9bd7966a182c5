/** Latency maths (vLLM's definitions) and the steady-state window, on hand-made timings. */
import { describe, expect, it } from 'vitest'
import { latencyStatistics, requestLatency } from '../core/measure/latency.js'
import type { RequestTiming } from '../core/measure/load-runner.js'
import { steadyStateWindow } from '../core/measure/steady-state.js'

const timing = (start: number, chunks: [number, number][], end?: number): RequestTiming => ({
  index: 0, promptId: 0, start, end: end ?? chunks[chunks.length - 1][0], chunkTimes: chunks.map((c) => c[0]), chunkCounts: chunks.map((c) => c[1]),
  inputTokens: 3, outputTokens: chunks.reduce((a, c) => a + c[1], 0), ok: true, error: null,
})

describe('request latency', () => {
  it('TTFT, ITL, trimmed ITL, TPOT and E2E', () => {
    const l = requestLatency(timing(100, [[150, 1], [160, 1], [172, 1], [180, 1], [200, 1]]))
    expect(l.ttftMs).toBe(50)
    expect(l.itlMs).toEqual([10, 12, 8, 20])
    expect(l.itlTrimmedMs).toEqual([12, 8])
    expect(l.e2eMs).toBe(100)
    expect(l.tpotMs).toBe((100 - 50) / 4)
  })

  it('a chunk of k tokens spreads its gap over k tokens and is flagged', () => {
    const l = requestLatency(timing(0, [[10, 1], [40, 3]]))
    expect(l.itlMs).toEqual([10, 10, 10])
    expect(l.multiTokenChunks).toBe(1)
  })

  it('statistics come from the pooled samples', () => {
    const s = latencyStatistics({ ttft: [1, 2, 3, 4], itlTrimmed: [1, 1, 1, 5], itlFull: [1], tpot: [2], e2e: [10, 20] }, 'TRUE_STREAMING')
    expect(s.ttft_median_ms).toBe(2.5)
    expect(s.ttft_p90_ms).toBeCloseTo(3.7)
    expect(s.itl_mean_ms).toBe(2)
    expect(s.e2e_max_ms).toBe(20)
    expect(s.measurement_mode).toBe('TRUE_STREAMING')
  })
})

describe('steady-state window', () => {
  it('from the first moment target requests are in flight to the last drop below it', () => {
    const reqs = [timing(0, [[5, 1]], 50), timing(10, [[15, 1]], 60), timing(50, [[55, 1]], 100), timing(60, [[65, 1]], 90)]
    // in flight: 1 at 0, 2 at 10, back to 2 after swaps at 50 and 60, 1 at 90, 0 at 100
    // the swaps at 50 and 60 take no time: the target is held throughout
    expect(steadyStateWindow(reqs, 2)).toEqual({ start: 10, end: 90, atTargetShare: 1 })
  })

  it('null when the target is never reached', () => {
    expect(steadyStateWindow([timing(0, [[1, 1]], 5), timing(10, [[11, 1]], 15)], 2)).toBeNull()
  })

  it('sequential requests (target 1) span the whole run', () => {
    expect(steadyStateWindow([timing(0, [[1, 1]], 5), timing(5, [[6, 1]], 9)], 1)).toEqual({ start: 0, end: 9, atTargetShare: 1 })
  })
})
