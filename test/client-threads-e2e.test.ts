/**
 * load.clientThreads through the CLI: against the scripted server, a run on two client threads (the
 * built worker module, as a user's install runs it) completes with every token the server sent, and the
 * result records the thread count, why, and each thread's loop delay. A backend with a client of its
 * own refuses more than one thread before anything runs: exit code 2, naming the option and the bench.
 */
import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

let server: SseServer
beforeAll(async () => void (server = await startSseServer(() => ({ tokens: 6 }))))
afterAll(() => server.close())

const config = `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 } }\n`

describe('load.clientThreads through the CLI', () => {
  it("two threads: every request and token, and the count recorded with its reason and each thread's loop delay", async () => {
    const dir = makeProject({
      'llem.config.ts': config,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'
bench('threads', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] }, generation: { maxTokens: 6 }, load: { concurrency: 4, clientThreads: 2 } })
`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr).toBe(0)
    const runs = readdirSync(path.join(dir, 'llem-results')).sort()
    const aggDir = path.join(dir, 'llem-results', runs[runs.length - 1], 'aggregated')
    const [agg] = readdirSync(aggDir).map((f) => JSON.parse(readFileSync(path.join(aggDir, f), 'utf8')))
    expect(agg.status).toBe('completed')
    // the scripted server sent 6 tokens to each of the 8 prompts
    expect(agg.total_output_tokens).toBe(48)
    const lat = agg.process_results[0].inference_metrics.latency_measurements
    expect(lat.client_threads).toBe(2)
    expect(lat.client_threads_reason).toBe('set')
    expect(lat.client_thread_loop_delay_p99_ms).toHaveLength(2)
  })

  it("'auto': the count chosen for this machine (at most its cores less one) and why, recorded", async () => {
    const dir = makeProject({
      'llem.config.ts': config,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'
bench('auto', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ['a', 'b', 'c', 'd'] }, generation: { maxTokens: 6 }, load: { concurrency: 4, clientThreads: 'auto' } })
`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr).toBe(0)
    const runs = readdirSync(path.join(dir, 'llem-results')).sort()
    const aggDir = path.join(dir, 'llem-results', runs[runs.length - 1], 'aggregated')
    const [agg] = readdirSync(aggDir).map((f) => JSON.parse(readFileSync(path.join(aggDir, f), 'utf8')))
    expect(agg.total_output_tokens).toBe(24)
    const lat = agg.process_results[0].inference_metrics.latency_measurements
    expect(lat.client_threads).toBeGreaterThanOrEqual(1)
    expect(lat.client_threads).toBeLessThanOrEqual(Math.max(1, os.availableParallelism() - 1))
    expect(lat.client_threads_reason).toMatch(/^auto: 4 streams x /)
    expect(lat.client_thread_loop_delay_p99_ms).toHaveLength(lat.client_threads === 1 ? 0 : lat.client_threads)
  })

  it('a backend with its own client and clientThreads 2: exit 2 before anything runs', async () => {
    const dir = makeProject({
      'llem.config.ts': config,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'
bench('native', { backend: { name: 'llama-cpp' }, model: { random: 'llama-1m' }, load: { clientThreads: 2 } })
`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/t\.bench\.ts.*"native": load\.clientThreads = 2 needs a backend whose client is llem's HTTP streaming client/)
    expect(r.stderr).toMatch(/backend "llama-cpp" has its own/)
  })
})
