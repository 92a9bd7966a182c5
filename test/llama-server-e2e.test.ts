/**
 * The serving path end to end against a real llama-server: the managed `server` backend starts it on a
 * free port, waits for /health, measures through the openai client (completions and chat, concurrency
 * and rate) and stops its process group; a server that dies mid-run fails the experiment, and a
 * health wait that times out fails it with the log tail and leaves no orphan.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { freePort } from './fixtures/free-port.js'
import { BIN, makeProject, QUICK_CONFIG, runCli, TEST_CACHE } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

const serverBench = (name: string, extra: string, opts = '') =>
  `bench(${JSON.stringify(name)}, { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN'))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', extraBody: { cache_prompt: false } ${opts} }, model: { path: process.env.TINY_MODEL }, dataset: { prompts: ['Hello there', 'Tell me a story'] }, ${extra} })\n`

function results(dir: string) {
  const root = path.join(dir, 'llem-results')
  const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  return readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8')))
}
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')

describe('llama-server through the server and openai backends', () => {
  const env = () => ({ LLAMA_SERVER_BIN: bin, TINY_MODEL: model })

  it('completions and chat, concurrency and rate: real streamed tokens, the server stopped after', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/s.bench.ts': `import { bench } from 'llem'\n${serverBench('closed', "load: { concurrency: 2, requests: 8 }, sweep: { 'backend.endpoint': ['completions', 'chat'] }")}${serverBench('open', 'load: { rate: 20, concurrency: 2, requests: 8 }, slo: { ttftMs: 10000 }')}`,
    })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const all = results(dir)
    expect(all).toHaveLength(3)
    for (const a of all) {
      const raw = a.process_results[0]
      expect(raw.inference_metrics.latency_measurements.measurement_mode).toBe('TRUE_STREAMING')
      expect(raw.inference_metrics.num_failed_requests).toBe(0)
      // ignore_eos: every request streams exactly maxTokens (16) tokens
      expect(raw.inference_metrics.output_tokens).toBe(8 * 16)
      expect(raw.inference_metrics.latency_measurements.itl_full_ms.length).toBeGreaterThan(0)
      expect(raw.environment.backend_settings.command[0]).toBe(bin)
      expect(alive(raw.environment.backend_settings.server_pid)).toBe(false)
    }
    const open = all.find((a) => a.bench.name === 'open').extended_metrics.request_latency
    expect(open.slo_attainment).toBe(1)
    expect(open.goodput_requests_per_second).toBeGreaterThan(0)
    expect(all.map((a) => a.effective_config.backend.endpoint).filter(Boolean).sort()).toEqual(['chat', 'completions'])
  })

  it('a Prometheus path is scraped through the window: llama.cpp\'s own running count is the batch', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/m.bench.ts': `import { bench } from 'llem'\nbench('scraped', { backend: { name: 'server', command: ${JSON.stringify([...llamaServerCommand('BIN'), '--metrics'])}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', metricsPath: '/metrics', metricsIntervalMs: 100, extraBody: { cache_prompt: false } }, model: { path: process.env.TINY_MODEL }, dataset: { prompts: ['Hello there'] }, load: { concurrency: 4, requests: 100000, duration: 1.5 }, generation: { maxTokens: 64 } })\n`,
    })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const raw = results(dir)[0].process_results[0]
    const server = raw.extended_metrics.server
    expect(server.metrics_format, JSON.stringify(server)).toBe('prometheus')
    expect(server.scrapes).toBeGreaterThanOrEqual(3)
    // llama-server runs 2 slots (-np 2): it never reports more than 2 processing, whatever llem sends
    expect(server.running_requests_max).toBeLessThanOrEqual(2)
    expect(server.running_requests_max).toBeGreaterThan(0)
    expect(raw.extended_metrics.batch.effective_batch_size).toBeLessThanOrEqual(2.0001)
  })

  it('the openai backend against a server started elsewhere', async () => {
    const port = await freePort()
    const server = spawn(bin, llamaServerCommand(bin).slice(1).map((a) => a.replace('{model}', model).replace('{host}', '127.0.0.1').replace('{port}', String(port))), { stdio: 'ignore' })
    try {
      for (let i = 0; i < 200; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then((x) => x.ok).catch(() => false)
        if (ok) break
        await new Promise((r) => setTimeout(r, 100))
      }
      const dir = makeProject({
        'llem.config.ts': QUICK_CONFIG,
        'benchmarks/o.bench.ts': `import { bench } from 'llem'\nbench('external', { backend: { name: 'openai', baseURL: 'http://127.0.0.1:${port}/v1', extraBody: { cache_prompt: false } }, model: 'tiny', dataset: { synthetic: { inputTokens: 24, n: 4 } }, load: { concurrency: 2 } })\n`,
      })
      const r = await runCli(dir, ['bench'])
      expect(r.code, r.stderr + r.stdout).toBe(0)
      const [a] = results(dir)
      expect(a.total_output_tokens).toBe(4 * 16)
      // synthetic prompts built with the server's own tokenizer: 24 tokens each (+ BOS the server adds)
      for (const q of a.process_results[0].requests) expect(q.input_tokens).toBeGreaterThanOrEqual(24)
      // llama.cpp's /props names its build ("b<n>-<commit>"): the commit the binary itself reports
      const v = spawnSync(bin, ['--version'], { encoding: 'utf8' }) // it prints its version on stderr
      const commit = /commit ([0-9a-f]+)/.exec(v.stdout + v.stderr)
      expect(commit, 'llama-server --version names no commit').not.toBeNull()
      expect(a.backend_version).toContain(commit![1])
    } finally {
      server.kill('SIGKILL')
    }
  })

  it('a server that dies mid-run fails the experiment with the reason', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/d.bench.ts': `import { bench } from 'llem'\n${serverBench('dies', 'load: { requests: 100000 }, timeout: 60000')}` })
    const child = spawn(process.execPath, [BIN, 'bench'], { cwd: dir, env: { ...process.env, ...env(), LLEM_CACHE_DIR: TEST_CACHE, CI: 'true' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    while (!out.includes('dies: measure')) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 300))
    const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(bin)
      } catch {
        return false
      }
    })
    expect(pids.length).toBeGreaterThan(0)
    for (const p of pids) process.kill(Number(p), 'SIGKILL')
    const code = await new Promise((r) => child.on('close', r))
    expect(code).toBe(1)
    const [a] = results(dir)
    expect(a.status).toBe('failed')
    expect(a.error.message).toMatch(/died mid-run|all \d+ measured requests failed|connection failed/)
  })

  it('a health wait that times out fails with the log tail, and leaves no process', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/h.bench.ts': `import { bench } from 'llem'\nbench('never healthy', { backend: { name: 'server', command: ['bash', '-c', 'echo starting up; echo $$ > pid.txt; sleep 30'], startupTimeoutMs: 1000 }, model: 'tiny', dataset: { prompts: ['x'] } })\n`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(1)
    const [a] = results(dir)
    expect(a.error.code).toBe('BACKEND_FAILED')
    expect(a.error.message).toContain('did not answer http://127.0.0.1:')
    expect(a.error.message).toContain('starting up')
    const pid = Number(readFileSync(path.join(dir, 'pid.txt'), 'utf8'))
    await new Promise((r) => setTimeout(r, 500))
    expect(alive(pid)).toBe(false)
  })
})
