/**
 * A run without a bench file against a real llama-server, as a `vllm bench serve` user starts one:
 * `llem bench --backend.name openai --backend.baseURL <server> --model tiny`, no dataset flag, in an
 * empty directory. The default synthetic prompts are built with the server's own tokenizer, and what
 * llem records matches what went over the wire (a recording proxy counts the completions) and what the
 * server itself counted (its Prometheus counters of predicted and prompt tokens).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { freePort } from './fixtures/free-port.js'
import { runCli } from './fixtures/project.js'
import { startTimedProxy } from './fixtures/timed-proxy.js'
import type { TimedServer } from './fixtures/timed-sse-server.js'

const MAX_TOKENS = 8
let server: ChildProcess
let origin: string
let proxy: TimedServer

beforeAll(async () => {
  const bin = llamaServerPath()
  const model = await tinyModelPath()
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  const args = [...llamaServerCommand(bin).slice(1), '--metrics'].map((a) => a.replace('{model}', model).replace('{host}', '127.0.0.1').replace('{port}', String(port)))
  server = spawn(bin, args, { stdio: 'ignore' })
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${origin}/health`).then((x) => x.ok).catch(() => false)) break
    await new Promise((r) => setTimeout(r, 100))
  }
  proxy = await startTimedProxy(origin)
}, 1_800_000)
afterAll(async () => {
  await proxy?.close()
  server?.kill('SIGKILL')
})

/** A counter from llama-server's /metrics (Prometheus text). */
async function counter(name: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text()
  const m = new RegExp(`^llamacpp:${name} ([\\d.e+]+)$`, 'm').exec(text)
  if (!m) throw new Error(`llama-server /metrics has no llamacpp:${name}:\n${text}`)
  return Number(m[1])
}

describe('llem bench from flags against llama-server', () => {
  it('runs the default synthetic dataset; requests and tokens are what the server served', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-flags-llama-'))
    const predictedBefore = await counter('tokens_predicted_total')
    const promptBefore = await counter('prompt_tokens_total')
    const r = await runCli(dir, [
      'bench', '--backend.name', 'openai', '--backend.baseURL', `${proxy.origin}/v1`, '--model', 'tiny',
      // every prompt processed in full, so the server's prompt counter is the prompts' length
      '--backend.extraBody', '{"cache_prompt":false}',
      '--generation.maxTokens', String(MAX_TOKENS), '--load.concurrency', '2', '--reporter', 'json',
      '--measurement.baseline.enabled', 'false', '--measurement.warmup.mode', 'fixed', '--measurement.warmup.requests', '0',
    ])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const root = path.join(dir, 'llem-results')
    const [runId] = readdirSync(root).filter((d) => !d.startsWith('.'))
    const report = JSON.parse(readFileSync(path.join(root, runId, 'results.json'), 'utf8'))
    expect(report.results).toHaveLength(1)
    const [a] = report.results
    expect(a.status).toBe('completed')
    expect(a.bench.from_flags).toBe(true)
    // the dataset nobody named is llem's default, and says so
    expect(a.parameter_provenance['dataset.synthetic.n'] ?? a.parameter_provenance['dataset.synthetic']).toMatchObject({ source: 'default' })
    const requested = a.effective_config.dataset.synthetic
    // the completions that went over the wire (each streamed tokens back): one per synthetic prompt
    expect(proxy.log).toHaveLength(requested.n)
    expect(a.num_requests).toBe(proxy.log.length)
    expect(a.num_failed_requests).toBe(0)
    // the server's own counts: ignore_eos makes each request predict maxTokens
    const predicted = (await counter('tokens_predicted_total')) - predictedBefore
    expect(predicted).toBe(proxy.log.length * MAX_TOKENS)
    expect(a.total_output_tokens).toBe(predicted)
    const inputs = a.process_results[0].requests.map((q: { input_tokens: number }) => q.input_tokens)
    expect(inputs.reduce((s: number, n: number) => s + n, 0)).toBe((await counter('prompt_tokens_total')) - promptBefore)
    // the prompts were cut to the requested length by the server's tokenizer (+ the BOS it adds)
    for (const n of inputs) expect(n - requested.inputTokens).toBeGreaterThanOrEqual(0)
    for (const n of inputs) expect(n - requested.inputTokens).toBeLessThanOrEqual(1)
  })
})
