/**
 * One token count for every window. A server that streams k tokens per chunk without per-chunk usage
 * gives the client chunks it records as "1 token" each, and a final usage of k per chunk; the total
 * window counts the usage, and the steady-state window must count the same tokens, or its J/token (the
 * headline once steady state lasts) is k times too high and per-request energies add up to k times the
 * energy that was drawn.
 */
import { describe, expect, it } from 'vitest'
import { buildMetrics } from '../core/measure/build-metrics.js'
import type { RequestTiming } from '../core/measure/load-runner.js'
import { outputTokensBetween } from '../core/measure/steady-state.js'
import { gpuDevice, gpuSnapshot, metricsInput } from './fixtures/metrics-input.js'

/** a request whose chunks each say "1" while the server's usage counted `usage` tokens in all */
function chunked(index: number, start: number, chunkTimes: number[], usage: number, end = chunkTimes[chunkTimes.length - 1]): RequestTiming {
  return { index, promptId: 0, start, end, chunkTimes, chunkCounts: chunkTimes.map(() => 1), inputTokens: 4, outputTokens: usage, ok: true, error: null }
}

describe('output tokens inside a window', () => {
  it("spreads a request's usage count over its chunks: 4 chunks, 12 tokens, 3 per chunk", () => {
    const r = chunked(0, 0, [100, 200, 300, 400], 12)
    // each chunk's 3 tokens were made over the 100 ms before it: [150, 350] holds 2 of the chunk at
    // 200 ms, all 3 of the one at 300 ms and 1 of the one at 400 ms: 6 of the 12 tokens
    expect(outputTokensBetween([r], 150, 350)).toBe(6)
    expect(outputTokensBetween([r], 0, 400)).toBe(12)
  })

  it('whole tokens whose shares add up to the usage count: 10 tokens over 3 chunks are 3, 4, 3', () => {
    const r = chunked(0, 0, [10, 20, 30], 10)
    // each chunk's tokens were made over the 10 ms since the one before (the first chunk's at once)
    expect([outputTokensBetween([r], 0, 10), outputTokensBetween([r], 11, 20), outputTokensBetween([r], 21, 30)]).toEqual([3, 4, 3])
  })

  it('chunks that carried a count of their own keep their proportions', () => {
    const r: RequestTiming = { ...chunked(0, 0, [10, 20], 8), chunkCounts: [1, 3] }
    // 8 tokens split 2 : 6; the second chunk's 6 were made over (10, 20]
    expect(outputTokensBetween([r], 11, 25)).toBe(6)
  })

  it('tokens made inside the window but sent just after it count inside', () => {
    // the server makes a token every 10 ms and sends them 4 to a chunk: the chunk at 110 ms holds the
    // tokens made at 80, 90, 100 and 110 ms; a window ending at 100 ms saw three of them made
    const r: RequestTiming = { ...chunked(0, 0, [30, 70, 110], 12), chunkCounts: [4, 4, 4] }
    expect(outputTokensBetween([r], 0, 100)).toBe(4 + 4 + 3)
  })

  it('a request that streamed nothing has its tokens at its end', () => {
    const r: RequestTiming = { ...chunked(0, 0, [], 5, 90), chunkTimes: [], chunkCounts: [] }
    expect(outputTokensBetween([r], 50, 100)).toBe(5)
    expect(outputTokensBetween([r], 0, 50)).toBe(0)
  })
})

describe('steady-state J/token with several tokens per chunk', () => {
  // 100 W for 1.2 s: 120 J. Three back-to-back requests at concurrency 1, each 4 chunks 100 ms apart,
  // the server putting 3 tokens in each chunk: 36 tokens, 120 / 36 J per token
  const WATTS = 100
  const requests = [0, 400, 800].map((s, i) => chunked(i, s, [s + 100, s + 200, s + 300, s + 400], 12))
  const input = {
    ...metricsInput({ devices: [gpuDevice(0, null)], energyStart: gpuSnapshot(0, [0]), energyEnd: gpuSnapshot(1200, [WATTS * 1.2]), rows: [], requests, windowStart: 0, windowEnd: 1200 }),
    headline: { mode: 'steady_state' as const, minSeconds: 20 },
    steadyMinTargetShare: 0.9,
  }
  const m = buildMetrics(input)

  it('the steady window (here the whole run) counts the 36 tokens the server counted, not the 12 chunks', () => {
    expect(m.steady).not.toBeNull()
    expect(m.steady!.energy_j).toBeCloseTo(120, 9)
    expect(m.steady!.output_tokens).toBe(36)
    expect(m.steady!.energy_per_token_j).toBeCloseTo(120 / 36, 9)
    // the same figure as the total window, which counts the usage
    expect(m.energy.energy_per_token_j).toBeCloseTo(120 / 36, 9)
    expect(m.headline.energy_per_token_j).toBeCloseTo(120 / 36, 9)
  })

  it("per-request energies add up to the window's energy", () => {
    const sum = m.requests.reduce((a, r) => a + r.energy_j!, 0)
    expect(sum).toBeCloseTo(120, 9)
    for (const r of m.requests) expect(r.energy_j).toBeCloseTo(40, 9)
  })
})
