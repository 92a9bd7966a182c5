/**
 * llem, GuideLLM and AIPerf against a scripted OpenAI-compatible server whose every send time is
 * recorded (test/fixtures/timed-sse-server.ts), at concurrency 1, 4 and 16 and a fixed 8 requests/s:
 * each tool's per-request error from the true times (TTFT, mean ITL, E2E) and its output tokens/s
 * against the true count over the true window. llem's error may not be larger than either tool's
 * beyond the stated run-to-run allowance (bench-tools-compare.ts, docs/validation.md). A tool that
 * cannot be installed fails here with the reason (python-envs.ts), never a skip.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { accountingProblem, type ComparisonResult, LOADS, llemShortfalls, MAX_TOKENS, scriptedComparison } from './fixtures/bench-tools-compare.js'
import { TOOLS } from './fixtures/bench-tools.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

let result: ComparisonResult
beforeAll(async () => {
  pythonEnv('guidellm')
  pythonEnv('aiperf')
  result = await scriptedComparison()
}, ENV_BUILD_TIMEOUT_MS + 600_000)

describe('llem, GuideLLM and AIPerf against the true send times of a scripted server', () => {
  it('llem ran every load in full and each peer accounted for its own (accountingProblem): each request matched to its truth, its tokens from usage', () => {
    expect(result.runs).toHaveLength(LOADS.length * TOOLS.length)
    for (const run of result.runs) {
      expect(accountingProblem(run)).toBeUndefined()
      expect(run.unmatched, `${run.tool} at ${run.load}`).toBe(0)
      expect(new Set(run.outputTokens), `${run.tool} at ${run.load}`).toEqual(new Set([MAX_TOKENS]))
    }
  })

  it("llem's errors are no larger than the tools' (within the allowance), and its throughput is true", () => {
    expect(llemShortfalls(result)).toEqual([])
  })
})
