/**
 * The transformers backend on the real stack, on the CPU: worker.py on real torch and transformers
 * from the pinned environments (python-envs.ts), once with transformers 5.x (the `dtype=` path) and once
 * with the oldest supported 4.x (the `torch_dtype=` path), on tiny random-weight Llama folders that each
 * stack saved itself. Expected values come from outside llem: the tokens asked, UTF-8 byte counts (the
 * test tokenizer is one token per byte after BOS), the interpreter's own version strings, the file on
 * disk, and a wall clock read around the same steps the worker stamped.
 */
import { statSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDataset } from '../core/workload/dataset.js'
import type { ResolvedModel } from '../core/config/defaults.js'
import type { TransformersOptions } from '../plugins/backends/transformers/index.js'
import { ENV_BUILD_TIMEOUT_MS, OFFLINE_ENV, pythonEnv, stackVersions, tinyModel, type PyEnv } from './fixtures/python-envs.js'
import { startSession, waitGone, type Started } from './fixtures/transformers-session.js'
import { maxOf, minOf } from '../core/stats/extent.js'

const tokensOf = (prompt: string) => Buffer.byteLength(prompt, 'utf8') + 1 // BOS + one per byte
const diffs = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i])
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

const prompts4 = ['a', 'abc', 'abcde', 'abcdefg']

/** Starts sessions on one env's python and closes them all after the file's tests. */
function sessions(env: PyEnv) {
  const ctx = { python: '', model: '' }
  const open: Started[] = []
  beforeAll(() => {
    ctx.python = pythonEnv(env)
    ctx.model = tinyModel(ctx.python)
  }, ENV_BUILD_TIMEOUT_MS)
  afterAll(async () => {
    for (const s of open) await s.session.close()
  })
  const start = async (o: { options?: TransformersOptions; model?: ResolvedModel; concurrency?: number; ignoreEos?: boolean } = {}) => {
    const s = await startSession({
      options: { python: ctx.python, ...o.options, env: { ...OFFLINE_ENV, ...o.options?.env } },
      model: o.model ?? ctx.model,
      concurrency: o.concurrency,
      generation: { ignoreEos: o.ignoreEos ?? true },
    })
    open.push(s)
    return s
  }
  return { ctx, start }
}

describe.each([
  { env: 'tf5' as PyEnv, dtypeKwarg: 'dtype' },
  { env: 'tf4' as PyEnv, dtypeKwarg: 'torch_dtype' },
])('transformers backend, real stack: $env', ({ env, dtypeKwarg }) => {
  const { ctx, start } = sessions(env)
  // one worker for the batch-1 tests, as an experiment keeps one for all its requests
  let one: Started

  it('records the versions the interpreter itself reports, and describes the model from the folder', async () => {
    one = await start()
    const { session } = one
    const v = stackVersions(ctx.python)
    expect(session.backendVersion).toBe(`transformers ${v.transformers}`)
    expect(session.software).toMatchObject({ python: v.python, torch: v.torch, transformers: v.transformers, cuda_devices: null })
    // test/python/tiny_model.py: vocab 259, hidden 64, ff 128, 2 layers, 4 heads, 2 kv heads (kv width 32), untied head
    const [vocab, h, kv, ff, layers] = [259, 64, 32, 128, 2]
    expect(session.model.parameters).toBe(2 * vocab * h + layers * (2 * h * h + 2 * h * kv + 3 * h * ff + 2 * h) + h)
    expect(session.model).toMatchObject({ path: ctx.model, architecture: 'llama', precision: 'float32', shape: { layers, hidden: h, heads: 4, headsKv: 2, ff, vocab, context: 1024 } })
    expect(session.model.file_size_mb).toBeCloseTo(statSync(path.join(ctx.model, 'model.safetensors')).size / 2 ** 20, 6)
    expect(session.settings).toMatchObject({ device: 'cpu', dtype: 'float32', dtype_kwarg: dtypeKwarg, pad_token_id: 2, eos_token_ids: [0], byte_tokenizer: false })
    expect(session.settings.clock_sync).toBe('shared monotonic clock')
  })

  it('exactly the tokens asked, TTFT and ITL from the per-step stamps, which a wall clock around the same steps confirms', async () => {
    const { session } = one
    expect(session.latencyMode).toBe('TRUE_STREAMING')
    await session.generate({ prompt: 'warm up', maxTokens: 4 }, { onTokens() {} })
    for (const [prompt, n] of [['Hello there', 64], ['héllo wörld', 40]] as const) {
      const stamps: number[] = []
      const t0 = performance.now()
      const r = await session.generate({ prompt, maxTokens: n }, { onTokens: (count, t) => stamps.push(...Array<number>(count).fill(t)) })
      const t1 = performance.now()
      const wall = t1 - t0
      expect(r).toEqual({ inputTokens: tokensOf(prompt), outputTokens: n, finishReason: 'length' })
      expect(stamps).toHaveLength(n)
      const ttft = stamps[0] - t0
      const itl = diffs(stamps)
      // every stamp lies inside the wall-clock window, in order, one per step
      expect(ttft).toBeGreaterThan(0)
      expect(stamps[n - 1]).toBeLessThanOrEqual(t1)
      expect(minOf(itl)).toBeGreaterThan(0)
      // the n steps last what their stamps say: TTFT + the sum of the ITLs is the wall clock up to the
      // last step, and what remains is only the reply's trip back (generous bounds: a shared machine)
      expect(ttft + sum(itl)).toBeLessThanOrEqual(wall)
      expect(wall - (ttft + sum(itl))).toBeLessThan(Math.max(30, 0.1 * wall))
      // decoding, not the reply, fills the window: stamps taken after the fact would bunch at its end
      expect(sum(itl)).toBeGreaterThan(0.5 * wall)
    }
  })

  it('the tokenizer builds synthetic prompts of an exact token length', async () => {
    const ds = await loadDataset({ synthetic: { inputTokens: 24, n: 3 } }, { baseDir: process.cwd(), tokenizer: one.session.tokenizer })
    for (const p of ds) expect(tokensOf(p.text)).toBe(24)
  })

  it('close() stops the worker and reaps it', async () => {
    const pid = one.session.settings.worker_pid as number
    expect(await waitGone(pid, 200)).toBe(false)
    await one.session.close()
    expect(await waitGone(pid)).toBe(true)
  })

  it('batch 4 in bfloat16: four requests share one generate() call; tokens, padding and batch size as sent', async () => {
    const { session } = await start({ options: { batchSize: 4, dtype: 'bfloat16' }, concurrency: 4 })
    expect(session.latencyMode).toBe('PER_REQUEST_BATCH')
    // the dtype argument took: the weights read back from the model are bfloat16
    expect(session.model.precision).toBe('bfloat16')
    const observer = session.observeWindow!()
    for (let wave = 0; wave < 2; wave++) {
      const stamps = prompts4.map(() => [] as number[])
      const out = await Promise.all(prompts4.map((prompt, i) => session.generate({ prompt, maxTokens: 6 }, { onTokens: (n, t) => stamps[i].push(t) })))
      expect(out.map((r) => [r.inputTokens, r.outputTokens])).toEqual(prompts4.map((p) => [tokensOf(p), 6]))
      for (const s of stamps) expect(s).toEqual(stamps[0]) // the rows of one batch share its steps
      expect(stamps[0]).toHaveLength(6)
    }
    const obs = await observer.stop()
    const width = maxOf(prompts4.map(tokensOf))
    const pads = sum(prompts4.map((p) => width - tokensOf(p)))
    expect(obs.batch).toEqual({ effective_batch_size: 4, padding_overhead: pads / (4 * width) })
    expect(obs.server).toMatchObject({ batches: 2, rows: 8, pad_tokens: 2 * pads, input_slots: 2 * 4 * width })
    expect(obs.memory?.source).toMatch(/VmHWM/)
  })

  it('a random model from a config (from_config) with the byte tokenizer', async () => {
    const cfg = { model_type: 'llama', vocab_size: 300, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 }
    const { session } = await start({ model: { random: cfg }, options: { dtype: 'bfloat16' } })
    expect(session.model).toMatchObject({ name: 'random:llama-1l-32h', precision: 'bfloat16', path: null })
    expect(session.settings.byte_tokenizer).toBe(true)
    expect(await session.generate({ prompt: 'héllo', maxTokens: 5 }, { onTokens() {} })).toEqual({ inputTokens: 7, outputTokens: 5, finishReason: 'length' })
  })
})

describe('transformers backend, real stack: EOS', () => {
  const { ctx, start } = sessions('tf5')

  it('ignoreEos holds EOS back on a model that wants to stop at once; without it the row stops there', async () => {
    const model = tinyModel(ctx.python, { eosAlways: true })
    const held = await start({ model, ignoreEos: true })
    expect(await held.session.generate({ prompt: 'stop now', maxTokens: 12 }, { onTokens() {} })).toEqual({ inputTokens: tokensOf('stop now'), outputTokens: 12, finishReason: 'length' })
    const free = await start({ model, ignoreEos: false, options: { batchSize: 2 }, concurrency: 2 })
    const both = await Promise.all(['stop', 'now'].map((prompt) => free.session.generate({ prompt, maxTokens: 12 }, { onTokens() {} })))
    expect(both).toEqual(['stop', 'now'].map((p) => ({ inputTokens: tokensOf(p), outputTokens: 0, finishReason: 'stop' })))
  })
})
