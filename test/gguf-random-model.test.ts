import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getLlama, LlamaLogLevel, type Llama, type Token } from 'node-llama-cpp'
import { InputError } from '../core/errors.js'
import { readGgufInfo } from '../plugins/backends/llama-cpp/gguf-reader.js'
import {
  ensureRandomModel,
  RANDOM_PRESETS,
  RANDOM_VOCAB_FIRST_PIECE,
  randomModelSpecSchema,
  resolveRandomShape,
} from '../plugins/backends/llama-cpp/random-model.js'

let dir: string
let llama: Llama

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llem-gguf-'))
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
}, 60_000)

afterAll(async () => {
  await llama?.dispose()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const tiny = { layers: 1, hidden: 32, heads: 2, ff: 64, vocab: 320, seed: 7 }

/** Greedy-decodes `count` tokens after `prompt` and returns them. */
async function generate(modelPath: string, prompt: string, count: number): Promise<{ tokens: Token[]; texts: string[]; bad: Token[] }> {
  const model = await llama.loadModel({ modelPath })
  try {
    const context = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 })
    const sequence = context.getSequence()
    const tokens: Token[] = []
    for await (const t of sequence.evaluate(model.tokenize(prompt), { temperature: 0 })) {
      tokens.push(t)
      if (tokens.length >= count) break
    }
    const texts = tokens.map((t) => model.detokenize([t]))
    const bad = tokens.filter((t) => {
      const a = model.getTokenAttributes(t)
      return a.control || a.byte || a.unknown || model.isEogToken(t)
    })
    await context.dispose()
    return { tokens, texts, bad }
  } finally {
    await model.dispose()
  }
}

describe('random GGUF models', () => {
  it('resolves presets and validates custom shapes', () => {
    expect(resolveRandomShape('llama-1m')).toEqual(RANDOM_PRESETS['llama-1m'])
    expect(resolveRandomShape({ layers: 2, hidden: 64, heads: 4, ff: 128 })).toMatchObject({ headsKv: 4, vocab: 512, seed: 0 })
    expect(randomModelSpecSchema.safeParse('llama-25m').success).toBe(true)
    expect(randomModelSpecSchema.safeParse({ ...tiny, extra: 1 }).success).toBe(false)
    expect(randomModelSpecSchema.safeParse({ ...tiny, heads: 3 }).success).toBe(false)
    expect(() => resolveRandomShape({ ...tiny, headsKv: 3 })).toThrow(/model.random.headsKv: heads \(2\) must be divisible by headsKv \(3\)/)
  })

  it('writes llama-1m once, reuses it, and reads its shape back', async () => {
    const first = await ensureRandomModel('llama-1m', dir)
    expect(first.cached).toBe(false)
    expect(first.parameterCount).toBeGreaterThan(850_000)
    expect(first.parameterCount).toBeLessThan(950_000)
    const again = await ensureRandomModel('llama-1m', dir)
    expect(again).toEqual({ ...first, cached: true })
    // no temp files left behind
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])

    const info = await readGgufInfo(first.path)
    expect(info.version).toBe(3)
    expect(info.architecture).toBe('llama')
    expect(info.fileType).toBe(0)
    expect(info.parameterCount).toBe(first.parameterCount)
    expect(info.tensorCount).toBe(3 + 9 * first.shape.layers)
    const { seed: _seed, ...shape } = first.shape
    expect(info.shape).toEqual(shape)
    expect(info.metadata['tokenizer.ggml.tokens']).toEqual({ type: 'string', length: 512 })
    expect(info.metadata['general.alignment']).toBe(32)
  })

  it('names custom shapes by shape and seed', async () => {
    const a = await ensureRandomModel(tiny, dir)
    const b = await ensureRandomModel({ ...tiny, seed: 8 }, dir)
    expect(a.path).not.toBe(b.path)
    expect(a.path).toMatch(/llama-l1-h32-a2-kv2-ff64-v320-[0-9a-f]{10}\.gguf$/)
    const info = await readGgufInfo(a.path)
    expect(info.shape).toEqual({ layers: 1, hidden: 32, heads: 2, headsKv: 2, ff: 64, vocab: 320, context: 2048 })
    expect(info.parameterCount).toBe(a.parameterCount)
  })

  it('loads in node-llama-cpp and greedily emits one printable token per step', async () => {
    for (const spec of ['llama-1m', tiny] as const) {
      const { path } = await ensureRandomModel(spec, dir)
      const { tokens, texts, bad } = await generate(path, 'Hello world', 32)
      expect(tokens).toHaveLength(32)
      expect(bad).toEqual([])
      expect(tokens.every((t) => t >= RANDOM_VOCAB_FIRST_PIECE)).toBe(true)
      for (const text of texts) expect(text.trim()).toMatch(/^[\x21-\x7e]+$/)
    }
  }, 30_000)

  it('reads GGUF v2 headers too (same layout as v3)', async () => {
    const { path, parameterCount } = await ensureRandomModel(tiny, dir)
    const bytes = await readFile(path)
    bytes.writeUInt32LE(2, 4)
    const v2 = join(dir, 'v2.gguf')
    await writeFile(v2, bytes)
    expect(await readGgufInfo(v2)).toMatchObject({ version: 2, parameterCount, architecture: 'llama' })
    bytes.writeUInt32LE(1, 4)
    await writeFile(v2, bytes)
    await expect(readGgufInfo(v2)).rejects.toMatchObject({ code: 'MODEL_NOT_GGUF', message: expect.stringContaining('version 1') })
  })

  it('rejects files that are missing or not GGUF', async () => {
    const missing = join(dir, 'nope.gguf')
    await expect(readGgufInfo(missing)).rejects.toMatchObject({ name: 'InputError', code: 'MODEL_NOT_FOUND', message: `model file not found: ${missing}` })

    const text = join(dir, 'model.gguf')
    await writeFile(text, 'this is not a model at all\n')
    const err = await readGgufInfo(text).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect(err).toMatchObject({ code: 'MODEL_NOT_GGUF', file: text })
    expect((err as Error).message).toContain(`${text} is not a GGUF file (`)

    // a real header cut short is "truncated", not a crash
    const { path } = await ensureRandomModel(tiny, dir)
    const cut = join(dir, 'cut.gguf')
    await writeFile(cut, (await readFile(path)).subarray(0, 100))
    await expect(readGgufInfo(cut)).rejects.toMatchObject({ code: 'MODEL_NOT_GGUF', message: expect.stringContaining('truncated') })
  })
})
