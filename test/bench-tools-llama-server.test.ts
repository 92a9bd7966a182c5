/**
 * llem, GuideLLM and AIPerf against the real llama-server (25M random llama, 16 slots, on its own CPU)
 * at concurrency 1, 4 and 16 and a fixed 8 requests/s. The server's speed on a shared machine changes
 * from one tool's run to the next, so the tools are compared through the wire: a proxy in front of the
 * server records each request's arrival and each token's send (test/fixtures/timed-proxy.ts), and each
 * tool's per-request TTFT, mean ITL and E2E and its output tokens/s are checked against what it sent.
 * llem agrees with a tool on a metric when both agree with the wire; llem's error may not exceed the
 * tool's beyond the stated allowance, the proxy's run-to-run noise (docs/validation.md).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { accountingProblem, ALLOWANCE_P50_REAL_SERVER, type ComparisonResult, LOADS, llamaServerComparison, llemShortfalls, MAX_TOKENS } from './fixtures/bench-tools-compare.js'
import { TOOLS } from './fixtures/bench-tools.js'
import { llamaServerPath } from './fixtures/llama-server.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

let result: ComparisonResult
beforeAll(async () => {
  llamaServerPath()
  pythonEnv('guidellm')
  pythonEnv('aiperf')
  result = await llamaServerComparison()
}, 1_800_000 + ENV_BUILD_TIMEOUT_MS + 600_000)

describe('llem, GuideLLM and AIPerf on the real llama-server, checked against the wire', () => {
  it('llem ran every load in full and each peer accounted for its own (accountingProblem), with the tokens the server counted', () => {
    expect(result.runs).toHaveLength(LOADS.length * TOOLS.length)
    for (const run of result.runs) {
      expect(accountingProblem(run)).toBeUndefined()
      expect(run.unmatched, `${run.tool} at ${run.load}`).toBe(0)
      // ignore_eos: llama-server streams exactly max_tokens, and each tool counts them from usage
      expect(new Set(run.outputTokens), `${run.tool} at ${run.load}`).toEqual(new Set([MAX_TOKENS]))
    }
  })

  it("llem's TTFT, ITL and E2E agree with the wire at least as well as each tool's (within the allowance), and its throughput", () => {
    // the allowance is the proxy's run-to-run noise (bench-tools-compare.ts); the scripted server's is tighter
    expect(llemShortfalls(result, ALLOWANCE_P50_REAL_SERVER)).toEqual([])
  })
})
