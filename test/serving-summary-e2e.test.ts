/**
 * The serving summary through the CLI: `llem bench` with one experiment against a scripted server
 * that refuses 2 of 10 prompts, with an SLO every answered request meets, prints the block after the
 * table with 8 successful and 2 failed requests, goodput 80% of the requests (the 8 that were answered)
 * at the request rate, and the J/token's window.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

const PROMPTS = Array.from({ length: 10 }, (_, i) => (i % 5 === 0 ? `refuse ${i}` : `answer ${i}`))

let server: SseServer
beforeAll(async () => {
  server = await startSseServer((body) => (String(body.prompt).startsWith('refuse') ? { status: 500 } : { tokens: 4 }))
})
afterAll(() => server.close())

describe('serving summary through the CLI', () => {
  it('one experiment: the block follows the table, with the counts and goodput the server made true', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 } }\n`,
      'benchmarks/chat.bench.ts': `import { bench } from 'llem'
bench('scripted', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ${JSON.stringify(PROMPTS)} }, generation: { maxTokens: 4 }, measurement: { maxFailedRequests: '30%' }, slo: { e2eMs: 60000 } })
`,
    })
    const r = await runCli(dir, ['bench', '--reporter', 'console', '--reporter', 'json'])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    const start = lines.indexOf('Serving summary: scripted')
    expect(start, r.stdout).toBeGreaterThan(lines.findIndex((l) => l.startsWith('bench ')))
    const b = lines.slice(start, lines.indexOf('', start))
    const value = (label: string) => b.find((l) => l.startsWith(`  ${label}  `))?.slice(label.length + 2).trim()
    expect(value('successful requests')).toBe('8')
    expect(value('failed requests')).toBe('2')
    expect(value('SLO targets')).toBe('E2E ≤ 60000 ms')
    // every answered request met a 60 s target and the refused ones cannot: 8 of 10, at the request rate
    expect(value('goodput share (%)')).toBe('80.0')
    expect(value('goodput (req/s)')).toBe(value('request throughput (req/s)'))
    // the rate printed is the 8 answered requests over the measured window the result records
    const runs = readdirSync(path.join(dir, 'llem-results'))
    const json = JSON.parse(readFileSync(path.join(dir, 'llem-results', runs[0], 'results.json'), 'utf8'))
    const agg = json.results[0]
    expect(agg.requests_per_second).toBeCloseTo(8 / agg.total_inference_time_sec, 9)
    expect(Number(value('request throughput (req/s)'))).toBeCloseTo(8 / agg.total_inference_time_sec, 2 - Math.floor(Math.log10(8 / agg.total_inference_time_sec)))
    expect(b).toContainEqual(expect.stringMatching(/^ {4}TTFT\s+\d/))
    expect(value('energy window')).toMatch(/^(steady state|whole measured window), \d[\d.]* s$/)
    expect(value('energy window')!.startsWith(agg.measurement_methodology.headline_window === 'steady_state' ? 'steady state' : 'whole measured window')).toBe(true)
  })
})
