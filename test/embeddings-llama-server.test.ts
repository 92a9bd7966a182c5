/**
 * Embeddings end to end on the real llama-server, started by the `server` backend with --embeddings
 * and mean pooling (the random llama's own pooling is none, which /v1/embeddings refuses): synthetic
 * prompts of 48 tokens, each charged exactly that by the server (usage.prompt_tokens), no tokens out,
 * J per embedded token over the window; and the openai backend against the same kind of server
 * started elsewhere.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { freePort } from './fixtures/free-port.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

const INPUT = 48
const REQUESTS = 16
const flags = ['--alias', 'tiny', '-np', '2', '-c', '1024', '-t', '1', '--no-webui', '--embeddings', '--pooling', 'mean']

function aggregated(dir: string) {
  const root = path.join(dir, 'llem-results')
  const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  return readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8')))
}

function checkEmbeddings(a: any): void {
  expect(a.status, JSON.stringify(a.error)).toBe('completed')
  const raw = a.process_results[0]
  expect(raw.requests).toHaveLength(REQUESTS)
  for (const q of raw.requests) {
    expect(q.ok, q.error).toBe(true)
    expect(q.input_tokens).toBe(INPUT)
    expect(q.output_tokens).toBe(0)
    expect(q.e2e_ms).toBeGreaterThan(0)
  }
  const m = a.embedding_metrics
  expect(m.requests).toBe(REQUESTS)
  expect(m.input_tokens).toBe(REQUESTS * INPUT)
  expect(a.total_energy_j).toBeGreaterThan(0)
  expect(m.energy_per_input_token_j).toBeCloseTo(a.total_energy_j / (REQUESTS * INPUT), 12)
  expect(m.energy_per_request_j).toBeCloseTo(a.total_energy_j / REQUESTS, 12)
  expect(m.input_tokens_per_second).toBeGreaterThan(0)
  expect(a.avg_energy_per_token_j).toBeNull()
  expect(a.output_tokens_per_second).toBeNull()
  expect(a.workload.task).toBe('embeddings')
}

describe('embeddings on llama-server', () => {
  it('the server backend starts it with --embeddings: J per embedded token and per request', async () => {
    const command = ['BIN', '-m', '{model}', '--host', '{host}', '--port', '{port}', ...flags]
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/e.bench.ts': `import { bench } from 'llem'\nbench('embed', { backend: { name: 'server', command: ${JSON.stringify(command)}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', endpoint: 'embeddings' }, model: { path: process.env.TINY_MODEL }, dataset: { synthetic: { inputTokens: ${INPUT}, n: 8 } }, load: { concurrency: 2, requests: ${REQUESTS} } })\n`,
    })
    const r = await runCli(dir, ['bench'], { LLAMA_SERVER_BIN: bin, TINY_MODEL: model })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const [a] = aggregated(dir)
    checkEmbeddings(a)
    const pid = a.process_results[0].environment.backend_settings.server_pid
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false)
  }, 120_000)

  it('the openai backend against an embeddings server started elsewhere', async () => {
    const port = await freePort()
    const server = spawn(bin, ['-m', model, '--host', '127.0.0.1', '--port', String(port), ...flags], { stdio: 'ignore' })
    try {
      let up = false
      for (let i = 0; i < 300 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/health`).then((res) => res.ok, () => false)
        if (!up) await new Promise((res) => setTimeout(res, 100))
      }
      expect(up).toBe(true)
      const dir = makeProject({
        'llem.config.ts': QUICK_CONFIG,
        'benchmarks/e.bench.ts': `import { bench } from 'llem'\nbench('embed', { backend: { name: 'openai', baseURL: 'http://127.0.0.1:${port}/v1', endpoint: 'embeddings' }, model: 'tiny', dataset: { synthetic: { inputTokens: ${INPUT}, n: 8 } }, load: { concurrency: 2, requests: ${REQUESTS} } })\n`,
      })
      const r = await runCli(dir, ['bench'])
      expect(r.code, r.stderr + r.stdout).toBe(0)
      checkEmbeddings(aggregated(dir)[0])
    } finally {
      server.kill('SIGTERM')
    }
  }, 120_000)
})
