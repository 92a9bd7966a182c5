/**
 * The transformers backend through its real worker (worker.py on this machine's python3) against the
 * fake `transformers`/`torch` packages: the handshake and versions, token timing from the worker's
 * per-step stamps, batching with padding and EOS, the tokenizer, stderr in the log, cleanup.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { BackendSession } from '../core/backends/types.js'
import { requestLatency } from '../core/measure/latency.js'
import { runLoad } from '../core/measure/load-runner.js'
import { loadDataset } from '../core/workload/dataset.js'
import { startFake, waitGone } from './fixtures/fake-transformers/start.js'

const open: BackendSession[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})
async function start(o: Parameters<typeof startFake>[0]) {
  const r = await startFake(o)
  open.push(r.session)
  return r
}
const prompts = (texts: string[]) => texts.map((text, id) => ({ id, text, source: `p${id}` }))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const plan = (requests: number, concurrency: number, maxTokens: number) => ({ concurrency, rate: null, burstiness: 1, requests, durationMs: null, seed: 0, maxTokens })

describe('transformers backend (real worker, fake transformers)', () => {
  it('handshake: Python, torch and transformers versions, the model described from its config, the clock synced', async () => {
    const { session, logs } = await start({})
    const python = execFileSync('python3', ['-c', 'import platform; print(platform.python_version())']).toString().trim()
    expect(session.backendVersion).toBe('transformers 4.46.3+fake')
    expect(session.software).toMatchObject({ python, torch: '2.5.1+fake', transformers: '4.46.3+fake', 'torch.cuda': null, cuda_devices: null })
    // fake/tiny-llama: vocab 256, hidden 64, 2 layers, 4 heads, 2 kv heads (kv width 32), ff 172, untied head
    const [v, h, kv, ff, layers] = [256, 64, 32, 172, 2]
    expect(session.model.parameters).toBe(2 * v * h + layers * (2 * h * h + 2 * h * kv + 3 * h * ff + 2 * h) + h)
    expect(session.model).toMatchObject({ name: 'fake/tiny-llama', architecture: 'llama', precision: 'float32', shape: { layers: 2, hidden: 64, heads: 4, headsKv: 2, ff: 172, vocab: 256, context: 512 } })
    expect(session.settings).toMatchObject({ protocol: 1, device: 'cpu', dtype: 'float32', batch_size: 1, padding_side: 'left', pad_token_id: 2 })
    // both ends read CLOCK_MONOTONIC on Linux, so the exact shared clock is found
    expect(session.settings.clock_sync).toBe('shared monotonic clock')
    expect(logs.some((l) => /worker pid \d+: Python/.test(l))).toBe(true)
  })

  it('TTFT and ITL come from the per-step stamps: ITL is the model step delay (batch 1: TRUE_STREAMING)', async () => {
    // a random-weight config (AutoConfig.for_model + from_config) with the built-in byte tokenizer
    const model = { random: { model_type: 'llama', vocab_size: 300, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, fake_step_ms: 10 } }
    const { session } = await start({ model })
    expect(session.latencyMode).toBe('TRUE_STREAMING')
    expect(session.model.name).toBe('random:llama-1l-32h')
    expect(session.settings.byte_tokenizer).toBe(true)
    const out = await runLoad(session, prompts(['Hello there', 'héllo']), plan(4, 1, 12))
    for (const r of out.requests) {
      expect(r.ok).toBe(true)
      expect(r.outputTokens).toBe(12)
      expect(r.chunkTimes).toHaveLength(12)
      // stamps taken in the worker, converted to this clock, lie inside the request
      expect(r.chunkTimes[0]).toBeGreaterThan(r.start)
      expect(r.chunkTimes[11]).toBeLessThanOrEqual(r.end)
      const l = requestLatency(r)
      expect(l.ttftMs!).toBeGreaterThanOrEqual(9.5)
      expect(median(l.itlMs)).toBeGreaterThanOrEqual(9.5)
      expect(median(l.itlMs)).toBeLessThan(13)
    }
    // bytes + BOS: 'héllo' is 6 UTF-8 bytes
    expect(out.requests.map((r) => r.inputTokens)).toEqual([12, 7, 12, 7])
  })

  it('batch 4: four concurrent requests share one generate() call (PER_REQUEST_BATCH), padding overhead and effective batch size observed', async () => {
    const { session } = await start({ options: { batchSize: 4 }, concurrency: 4 })
    expect(session.latencyMode).toBe('PER_REQUEST_BATCH')
    const observer = session.observeWindow!()
    // with BOS: 2, 4, 6 and 8 tokens, padded to 8: 12 pad positions of 32
    const out = await runLoad(session, prompts(['a', 'abc', 'abcde', 'abcdefg']), plan(8, 4, 6))
    const obs = await observer.stop()
    expect(obs.batch).toEqual({ effective_batch_size: 4, padding_overhead: 12 / 32 })
    expect(obs.server).toMatchObject({ batches: 2, rows: 8, pad_tokens: 24, input_slots: 64 })
    expect(obs.memory?.source).toMatch(/VmHWM/)
    expect(obs.memory?.peak_memory_mb).toBeGreaterThan(1)
    expect(out.requests.map((r) => r.inputTokens)).toEqual([2, 4, 6, 8, 2, 4, 6, 8])
    // the rows of one batch share its steps
    const first = out.requests.slice(0, 4).map((r) => r.chunkTimes)
    for (const t of first) expect(t).toEqual(first[0])
    expect(out.requests.every((r) => r.outputTokens === 6)).toBe(true)
  })

  it('EOS: a row ends at its EOS and the padding after it is not counted; ignoreEos runs every row to maxTokens', async () => {
    // fake/echo emits EOS after as many tokens as the prompt has
    const { session } = await start({ model: 'fake/echo', options: { batchSize: 2 }, concurrency: 2, generation: { ignoreEos: false } })
    const sink = (times: number[]) => ({ onTokens: (n: number, t: number) => times.push(t) })
    const [ta, tb] = [[] as number[], [] as number[]]
    const [a, b] = await Promise.all([session.generate({ prompt: 'ab', maxTokens: 16 }, sink(ta)), session.generate({ prompt: 'abcdef', maxTokens: 16 }, sink(tb))])
    expect(a).toMatchObject({ inputTokens: 3, outputTokens: 3, finishReason: 'stop' })
    expect(b).toMatchObject({ inputTokens: 7, outputTokens: 7, finishReason: 'stop' })
    expect([ta.length, tb.length]).toEqual([3, 7])
    const [c, d] = await Promise.all([session.generate({ prompt: 'ab', maxTokens: 5 }, sink([])), session.generate({ prompt: 'abcdef', maxTokens: 5 }, sink([]))])
    expect([c.finishReason, c.outputTokens, d.finishReason, d.outputTokens]).toEqual(['stop', 3, 'length', 5])

    const ignoring = await start({ model: 'fake/echo', options: { batchSize: 2 }, concurrency: 2, generation: { ignoreEos: true } })
    const both = await Promise.all(['ab', 'abcdef'].map((p) => ignoring.session.generate({ prompt: p, maxTokens: 16 }, sink([]))))
    expect(both.map((r) => [r.outputTokens, r.finishReason])).toEqual([[16, 'length'], [16, 'length']])
  })

  it('a local model directory: from_pretrained on the path, its weight files sized', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-local-model-'))
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 256, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 }))
    writeFileSync(path.join(dir, 'model.safetensors'), Buffer.alloc(1 << 20))
    const { session } = await start({ model: { path: dir }, options: { dtype: 'bfloat16' } })
    expect(session.model).toMatchObject({ name: path.basename(dir), path: dir, file_size_mb: 1, precision: 'bfloat16', shape: { layers: 1, hidden: 32, heads: 2, headsKv: 2, ff: 64 } })
  })

  it('the tokenizer builds synthetic prompts of an exact token length', async () => {
    const { session } = await start({})
    const ds = await loadDataset({ synthetic: { inputTokens: 24, n: 3 } }, { baseDir: process.cwd(), tokenizer: session.tokenizer })
    for (const p of ds) expect(await session.tokenizer.tokenize(p.text)).toHaveLength(24)
    expect(await session.tokenizer.detokenize([1, 43, 44])).toBe('HI')
  })

  it("the worker's stderr goes line by line into the experiment log", async () => {
    const { session, logs } = await start({ options: { batchSize: 2, paddingSide: 'right' }, concurrency: 2 })
    await Promise.all(['a', 'abcdef'].map((p) => session.generate({ prompt: p, maxTokens: 2 }, { onTokens() {} })))
    expect(logs.some((l) => l.startsWith('[transformers] A decoder-only architecture is being used, but right-padding was detected!'))).toBe(true)
  })

  it('close() stops the worker and reaps it', async () => {
    const { session } = await startFake({})
    const pid = session.settings.worker_pid as number
    expect(await waitGone(pid, 200)).toBe(false)
    await session.close()
    expect(await waitGone(pid)).toBe(true)
  })
})
