/**
 * The embedded backend against real llama.cpp: real tokens from a generated random model, each one
 * timestamped as it streams, exact token counts, concurrent sequences, the model described from GGUF.
 */
import { LlamaContextSequence } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { BackendSession } from '../core/backends/types.js'
import { EXPERIMENT_DEFAULTS } from '../core/config/defaults.js'
import { llamaCppBackend } from '../plugins/backends/llama-cpp/index.js'
import { TEST_CACHE } from './fixtures/project.js'

const cacheDir = TEST_CACHE
let session: BackendSession

const start = (generation = { ...EXPERIMENT_DEFAULTS.generation }, concurrency = 2) =>
  llamaCppBackend.start({ options: { threads: 1 }, model: { random: 'llama-1m' }, generation, concurrency, cacheDir, baseDir: process.cwd(), log: () => {} })

beforeAll(async () => {
  session = await start()
})
afterAll(() => session?.close())

describe('llama-cpp backend', () => {
  it('describes the model from its GGUF metadata', () => {
    expect(session.model.parameters).toBe(910464)
    expect(session.model.architecture).toBe('llama')
    expect(session.model.shape).toMatchObject({ layers: 4, hidden: 128, heads: 4, headsKv: 4, ff: 336, vocab: 512 })
    expect(session.model.precision).toBe('f32')
    expect(session.latencyMode).toBe('TRUE_STREAMING')
    expect(session.software['node-llama-cpp']).toBe('3.21.1')
    expect(session.settings).toMatchObject({ threads: 1, sequences: 2 })
  })

  it('streams exactly maxTokens tokens, one callback each, with increasing timestamps', async () => {
    const times: number[] = []
    const r = await session.generate({ prompt: 'Tell me a story', maxTokens: 24 }, { onTokens: (n, t) => { expect(n).toBe(1); times.push(t) } })
    expect(r.outputTokens).toBe(24)
    expect(times).toHaveLength(24)
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1])
    // BOS + the prompt's tokens
    expect(r.inputTokens).toBe((await session.tokenizer.tokenize('Tell me a story')).length)
    expect(r.finishReason).toBe('length')
  })

  it('greedy decoding is deterministic, and a seeded sampler repeats itself (the token ids, not their count)', async () => {
    // the session reports counts only (always maxTokens with ignoreEos), so the ids are read where
    // llama.cpp yields them to the backend: node-llama-cpp's LlamaContextSequence.evaluate
    const original = LlamaContextSequence.prototype.evaluate
    let seen: number[] = []
    const spy = vi.spyOn(LlamaContextSequence.prototype, 'evaluate').mockImplementation(async function* (this: LlamaContextSequence, ...args: Parameters<typeof original>) {
      for await (const t of original.apply(this, args)) {
        seen.push(t as number)
        yield t
      }
    } as typeof original)
    const ids = async (s: BackendSession) => {
      seen = []
      await s.generate({ prompt: 'Hello', maxTokens: 8 }, { onTokens() {} })
      return seen.slice(0, 8)
    }
    const sampled = (seed: number) => start({ ...EXPERIMENT_DEFAULTS.generation, temperature: 1, seed }, 1)
    const [s7, s8] = [await sampled(7), await sampled(8)]
    try {
      const greedy = await ids(session)
      expect(greedy).toHaveLength(8)
      expect(await ids(session)).toEqual(greedy)
      const seven = await ids(s7)
      expect(await ids(s7)).toEqual(seven)
      // the check can tell sequences apart: another seed over a 512-token vocabulary gives other ids
      expect(await ids(s8)).not.toEqual(seven)
    } finally {
      spy.mockRestore()
      await s7.close()
      await s8.close()
    }
  })

  it('serves as many concurrent requests as it has sequences, and refuses more', async () => {
    const sink = { onTokens() {} }
    const [a, b] = await Promise.all([session.generate({ prompt: 'one', maxTokens: 8 }, sink), session.generate({ prompt: 'two', maxTokens: 8 }, sink)])
    expect(a.outputTokens + b.outputTokens).toBe(16)
    const three = await Promise.allSettled([0, 1, 2].map((i) => session.generate({ prompt: `p${i}`, maxTokens: 4 }, sink)))
    expect(three.filter((r) => r.status === 'fulfilled')).toHaveLength(2)
    const rejected = three.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(String(rejected.reason)).toMatch(/more requests in flight than the 2 sequences/)
  })

  it('a prompt longer than the context is an error naming the fix', async () => {
    await expect(session.generate({ prompt: 'x', maxTokens: 100000 }, { onTokens() {} })).rejects.toThrow(/raise backend.contextSize/)
  })
})
