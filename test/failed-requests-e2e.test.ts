/**
 * A run in which 8 of 10 requests failed is not a pass: through the CLI against a scripted server
 * that answers 500 to most prompts, the experiment is failed (TOO_MANY_FAILED_REQUESTS, exit 1) with
 * its metrics kept, and the console's failed column says 8/10. With measurement.maxFailedRequests
 * raised to 80% the same run passes, still showing its failures.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

// 10 prompts, 8 of which the server refuses
const PROMPTS = Array.from({ length: 10 }, (_, i) => (i % 5 === 0 ? `ok ${i}` : `fail ${i}`))

let server: SseServer
beforeAll(async () => {
  server = await startSseServer((body) => (String(body.prompt).startsWith('fail') ? { status: 500 } : { tokens: 4 }))
})
afterAll(() => server.close())

describe('failed requests through the CLI', () => {
  it('past maxFailedRequests the experiment fails with its own code and exit 1; within it, it passes', async () => {
    const common = `backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ${JSON.stringify(PROMPTS)} }, generation: { maxTokens: 4 }`
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 } }\n`,
      'benchmarks/flaky.bench.ts': `import { bench } from 'llem'
bench('default limit', { ${common} })
bench('tolerated', { ${common}, measurement: { maxFailedRequests: '80%' } })
`,
    })
    const r = await runCli(dir, ['bench', '--max-parallel', '1'])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/^1 passed, 1 failed$/m)
    const row = (name: string) => r.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? ''
    expect(row('default limit')).toMatch(/\s8\/10\s+failed$/)
    expect(row('tolerated')).toMatch(/\s8\/10\s+completed$/)

    const runs = readdirSync(path.join(dir, 'llem-results')).sort()
    const aggDir = path.join(dir, 'llem-results', runs[runs.length - 1], 'aggregated')
    const all = readdirSync(aggDir).map((f) => JSON.parse(readFileSync(path.join(aggDir, f), 'utf8')))
    const failed = all.find((a) => a.bench.name === 'default limit')
    expect(failed.status).toBe('failed')
    expect(failed.error.code).toBe('TOO_MANY_FAILED_REQUESTS')
    expect(failed.error.message).toContain('8 of 10 measured requests failed (80%)')
    expect(failed.num_failed_requests).toBe(8)
    expect(failed.failed_request_share).toBeCloseTo(0.8, 12)
    // kept for inspection: the 2 requests that succeeded generated 4 tokens each
    expect(failed.process_results[0].inference_metrics.num_failed_requests).toBe(8)
    expect(failed.total_output_tokens).toBe(8)
    const tolerated = all.find((a) => a.bench.name === 'tolerated')
    expect(tolerated.status).toBe('completed')
    expect(tolerated.num_failed_requests).toBe(8)
    // energy is apportioned by output token to the requests that succeeded; a failed one's is not 0 J
    const requests = tolerated.process_results[0].requests as Array<{ ok: boolean; energy_j: number | null }>
    expect(requests.filter((q) => !q.ok).map((q) => q.energy_j)).toEqual(new Array(8).fill(null))
    for (const q of requests.filter((q) => q.ok)) expect(q.energy_j).toBeGreaterThan(0)
  })
})
