/**
 * Embeddings (backend endpoint 'embeddings') against a scripted OpenAI-compatible server whose costs
 * are known: it charges each input a scripted number of prompt tokens, holds each request 20 ms, and
 * advances a fake RAPL package counter by exactly 2 mJ per token it embeds, nothing otherwise. So the
 * window's energy is 2 mJ times the tokens of the requests in it, and J per embedded token is 2 mJ,
 * J per request the mean of 2 mJ x tokens, whatever the machine's speed.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createFakePowercap } from './fixtures/fake-powercap.js'
import { IDLE_PROC_STAT } from './fixtures/idle-host.js'
import { makeProject, runCli } from './fixtures/project.js'

const UJ_PER_TOKEN = 2000
const PROMPTS = ['alpha beta', 'gamma delta epsilon', 'zeta', 'eta theta iota kappa']
/** the scripted charge: 5 tokens a word, plus one */
const tokensOf = (input: string) => input.split(' ').length * 5 + 1

const fake = createFakePowercap()
fake.addZone('intel-rapl:0', { name: 'package-0', energyUj: 1_000_000 })
let energyUj = 1_000_000
const bodies: Record<string, unknown>[] = []
const charged: number[] = []

const server = http.createServer((req, res) => {
  let raw = ''
  req.on('data', (d) => (raw += d))
  req.on('end', () => {
    if (req.url === '/v1/models') return void res.end(JSON.stringify({ data: [{ id: 'emb' }] }))
    if (req.url !== '/v1/embeddings') return void res.writeHead(404).end()
    const body = JSON.parse(raw)
    bodies.push(body)
    const tokens = tokensOf(body.input)
    charged.push(tokens)
    // the work's energy lands while the request is in flight
    energyUj += tokens * UJ_PER_TOKEN
    fake.setEnergy('intel-rapl:0', energyUj)
    setTimeout(() => res.end(JSON.stringify({ object: 'list', model: 'emb', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], usage: { prompt_tokens: tokens, total_tokens: tokens } })), 20)
  })
})
const listening = new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
afterAll(() => {
  server.close()
  fake.cleanup()
})

function aggregated(dir: string) {
  const root = path.join(dir, 'llem-results')
  const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  const files = readdirSync(path.join(run, 'aggregated'))
  return JSON.parse(readFileSync(path.join(run, 'aggregated', files[0]), 'utf8'))
}

describe('embeddings against a scripted server with known energy', () => {
  it('J per embedded token and per request are the scripted truth; output-token figures are null with the reason', async () => {
    await listening
    const port = (server.address() as AddressInfo).port
    const dir = makeProject({
      'llem.config.ts': `export default {\n  probes: { nvml: false, rapl: { root: ${JSON.stringify(fake.root)}, procStat: ${JSON.stringify(IDLE_PROC_STAT)} }, 'cpu-estimate': {} },\n  measurement: { baseline: { seconds: 0.3 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },\n}\n`,
      'benchmarks/e.bench.ts': `import { bench } from 'llem'\nbench('embed', { backend: { name: 'openai', baseURL: 'http://127.0.0.1:${port}/v1', endpoint: 'embeddings' }, model: 'emb', dataset: { prompts: ${JSON.stringify(PROMPTS)} }, load: { concurrency: 2, requests: 12 } })\n`,
    })
    // a cache of its own: the baseline it takes from the fake RAPL must not be reused by another
    // test's run under this host's key
    const r = await runCli(dir, ['bench'], { LLEM_CACHE_DIR: path.join(dir, '.llem-cache') })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const a = aggregated(dir)
    const raw = a.process_results[0]
    // the warmup's request came first; the measured ones are the rest
    const measured = charged.slice(1)
    expect(measured).toHaveLength(12)
    const tokens = measured.reduce((x, y) => x + y, 0)
    const truthJ = (tokens * UJ_PER_TOKEN) / 1e6
    expect(a.total_energy_j).toBeCloseTo(truthJ, 9)
    const m = a.embedding_metrics
    expect(m.requests).toBe(12)
    expect(m.input_tokens).toBe(tokens)
    expect(m.energy_per_input_token_j).toBeCloseTo(UJ_PER_TOKEN / 1e6, 12)
    expect(m.energy_per_request_j).toBeCloseTo(truthJ / 12, 12)
    expect(m.requests_per_second).toBeCloseTo(12 / a.total_inference_time_sec, 9)
    expect(m.input_tokens_per_second).toBeCloseTo(tokens / a.total_inference_time_sec, 6)
    expect(raw.embedding_metrics.energy_per_input_token_j).toBeCloseTo(UJ_PER_TOKEN / 1e6, 12)
    // each request: its own scripted count in, nothing out, its latency the whole 20 ms exchange
    for (const q of raw.requests) {
      expect(q.input_tokens).toBe(tokensOf(PROMPTS[q.prompt_id]))
      expect(q.output_tokens).toBe(0)
      expect(q.requested_output_tokens).toBeUndefined()
      expect(q.ttft_ms).toBeNull()
      expect(q.e2e_ms).toBeGreaterThanOrEqual(19)
    }
    // what went over the wire: the OpenAI embeddings request, not a completion
    expect(bodies[1]).toEqual({ model: 'emb', input: expect.any(String), encoding_format: 'float' })
    expect(PROMPTS).toContain(bodies[1].input)
    // nothing generated: no output rate or J/output token, rather than 0, and the result says why
    expect(a.avg_energy_per_token_j).toBeNull()
    expect(a.output_tokens_per_second).toBeNull()
    expect(raw.energy_metrics.energy_per_token_j).toBeNull()
    expect(a.latency_stats.ttft_samples).toBe(0)
    expect(a.latency_stats.e2e_mean_ms).toBeGreaterThanOrEqual(19)
    expect(m.not_applicable.map((x: { metric: string }) => x.metric)).toEqual(expect.arrayContaining(['energy_per_token_j', 'output_tokens_per_second', 'time_to_first_token_ms']))
    expect(m.not_applicable.every((x: { reason: string }) => x.reason.length > 10)).toBe(true)
    expect(a.workload.task).toBe('embeddings')
    expect(raw.inference_metrics.latency_measurements.measurement_mode).toBe('PER_REQUEST_BATCH')
  }, 60_000)
})
