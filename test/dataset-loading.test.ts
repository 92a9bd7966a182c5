import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { InputError, LlemError } from '../core/errors.js'
import { loadDataset, type DatasetTokenizer } from '../core/workload/dataset.js'
import { inferDatasetFormat } from '../core/workload/dataset-formats.js'
import { datasetOptionsSchema } from '../core/workload/dataset-schema.js'

const baseDir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'datasets')

/** Rejects with the error so its fields can be asserted (expect.rejects only matches shape). */
async function loadError(...args: Parameters<typeof loadDataset>): Promise<InputError> {
  try {
    await loadDataset(...args)
  } catch (error) {
    return error as InputError
  }
  throw new Error('expected loadDataset to throw')
}

/** One token per whitespace-separated word; ids come from a growing vocabulary. */
function whitespaceTokenizer(): DatasetTokenizer {
  const ids = new Map<string, number>()
  const words: string[] = []
  return {
    tokenize: (text) =>
      text
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => {
          if (!ids.has(w)) {
            ids.set(w, words.length)
            words.push(w)
          }
          return ids.get(w)!
        }),
    detokenize: (tokens) => tokens.map((t) => words[t]).join(' '),
  }
}

describe('dataset options schema', () => {
  it('applies defaults and keeps the source', () => {
    expect(datasetOptionsSchema.parse({ prompts: ['a'] })).toEqual({ prompts: ['a'], repeat: 1, shuffle: false, seed: 0 })
  })

  it('requires exactly one source and names the keys', () => {
    const none = datasetOptionsSchema.safeParse({ n: 3 })
    expect(none.success).toBe(false)
    expect(none.error!.issues[0].message).toBe('dataset needs exactly one source: prompts, file or synthetic')
    const two = datasetOptionsSchema.safeParse({ prompts: ['a'], file: 'x.txt' })
    expect(two.success).toBe(false)
    expect(two.error!.issues[0].message).toContain('got prompts and file')
  })

  it('rejects unknown keys, including inside synthetic', () => {
    expect(datasetOptionsSchema.safeParse({ prompts: ['a'], shufle: true }).success).toBe(false)
    expect(datasetOptionsSchema.safeParse({ synthetic: { inputTokens: 8, outputTokens: 2 } }).success).toBe(false)
  })

  it('rejects field where it cannot apply and bad numbers', () => {
    expect(datasetOptionsSchema.safeParse({ prompts: ['a'], field: 'q' }).success).toBe(false)
    expect(datasetOptionsSchema.safeParse({ file: 'a.txt', field: 'q' }).success).toBe(false)
    expect(datasetOptionsSchema.safeParse({ file: 'a.txt', format: 'jsonl', field: 'q' }).success).toBe(true)
    expect(datasetOptionsSchema.safeParse({ prompts: ['a'], repeat: 0 }).success).toBe(false)
    expect(datasetOptionsSchema.safeParse({ synthetic: { inputTokens: 1.5 } }).success).toBe(false)
  })

  it('converts to JSON Schema', () => {
    const schema = z.toJSONSchema(datasetOptionsSchema, { io: 'input' }) as { properties: Record<string, unknown>; additionalProperties: unknown }
    expect(Object.keys(schema.properties).sort()).toEqual(['columns', 'field', 'file', 'format', 'maxTurns', 'multiTurn', 'n', 'outputTokens', 'prompts', 'repeat', 'seed', 'shuffle', 'split', 'synthetic'])
    expect(schema.additionalProperties).toBe(false)
  })

  it('infers the format from the extension', () => {
    expect(inferDatasetFormat('a/b.JSONL')).toBe('jsonl')
    expect(inferDatasetFormat('share.json')).toBe('sharegpt')
    expect(inferDatasetFormat('prompts.txt')).toBe('text')
    expect(inferDatasetFormat('prompts')).toBe('text')
  })
})

describe('loadDataset sources', () => {
  it('inline prompts', async () => {
    expect(await loadDataset({ prompts: ['a', 'b'] }, { baseDir })).toEqual([
      { id: 0, text: 'a', source: 'prompts[0]' },
      { id: 1, text: 'b', source: 'prompts[1]' },
    ])
  })

  it('text: one prompt a line, blank lines skipped, CRLF stripped', async () => {
    expect(await loadDataset({ file: 'prompts.txt' }, { baseDir })).toEqual([
      { id: 0, text: 'What is the capital of France?', source: 'prompts.txt:1' },
      { id: 1, text: 'Explain photosynthesis in one sentence.', source: 'prompts.txt:3' },
      { id: 2, text: 'Write a haiku about GPUs.', source: 'prompts.txt:5' },
    ])
  })

  it('resolves relative paths against baseDir, absolute paths as they are', async () => {
    const abs = await loadDataset({ file: join(baseDir, 'prompts.txt') }, { baseDir: '/nonexistent' })
    expect(abs.map((p) => p.text)).toHaveLength(3)
  })

  it('jsonl: prompt from the default field, blank lines skipped', async () => {
    expect(await loadDataset({ file: 'prompts.jsonl' }, { baseDir })).toEqual([
      { id: 0, text: 'Summarise the plot of Hamlet.', source: 'prompts.jsonl:1' },
      { id: 1, text: 'List three prime numbers.', source: 'prompts.jsonl:2' },
      { id: 2, text: "Translate 'good morning' to German.", source: 'prompts.jsonl:4' },
    ])
  })

  it('jsonl: an invalid line names the file and line', async () => {
    const error = await loadError({ file: 'bad-line.jsonl' }, { baseDir })
    expect(error).toBeInstanceOf(InputError)
    expect(error.code).toBe('DATASET_INVALID')
    expect(error.exitCode).toBe(2)
    expect(error.message).toContain('bad-line.jsonl:3')
    expect(error.message).toContain('not valid JSON (')
    expect(error.where).toBe('line 3')
    expect(error.file).toBe(resolve(baseDir, 'bad-line.jsonl'))
  })

  it('jsonl: a custom field, and a non-string value names the line and field', async () => {
    const error = await loadError({ file: 'questions.jsonl', field: 'question' }, { baseDir })
    expect(error.code).toBe('DATASET_INVALID')
    expect(error.message).toContain('questions.jsonl:2')
    expect(error.message).toContain('"question"')
    expect(error.where).toBe('line 2')
    const missing = await loadError({ file: 'prompts.jsonl', field: 'question' }, { baseDir })
    expect(missing.message).toContain('prompts.jsonl:1: no column "question" (dataset.columns.prompt); this row has "prompt", "id"')
  })

  it('sharegpt: first human/user turn, entries without one skipped', async () => {
    expect(await loadDataset({ file: 'sharegpt.json' }, { baseDir })).toEqual([
      { id: 0, text: 'How do transformers work?', source: 'sharegpt.json[0]' },
      { id: 1, text: 'Define entropy.', source: 'sharegpt.json[2]' },
      { id: 2, text: 'What is a joule?', source: 'sharegpt.json[4]' },
    ])
  })

  it('sharegpt: invalid JSON names the file', async () => {
    const error = await loadError({ file: 'bad.json' }, { baseDir })
    expect(error.code).toBe('DATASET_INVALID')
    expect(error.message).toContain(resolve(baseDir, 'bad.json'))
    expect(error.message).toContain('not valid JSON')
  })

  it('an explicit format overrides the extension', async () => {
    const lines = await loadDataset({ file: 'prompts.jsonl', format: 'text' }, { baseDir })
    expect(lines[0].text).toBe('{"prompt": "Summarise the plot of Hamlet.", "id": 1}')
  })

  it('missing file -> DATASET_NOT_FOUND with the resolved path', async () => {
    const error = await loadError({ file: 'nope.txt' }, { baseDir })
    expect(error).toBeInstanceOf(InputError)
    expect(error.code).toBe('DATASET_NOT_FOUND')
    expect(error.message).toBe(`dataset file not found: ${resolve(baseDir, 'nope.txt')}`)
  })

  it('a file with no prompts -> DATASET_INVALID', async () => {
    const error = await loadError({ file: 'empty.txt' }, { baseDir })
    expect(error.code).toBe('DATASET_INVALID')
    expect(error.message).toContain('contains no prompts')
  })

  it('invalid options -> DATASET_INVALID naming the key', async () => {
    const error = await loadError({ prompts: ['a'], repeat: -1 }, { baseDir })
    expect(error.code).toBe('DATASET_INVALID')
    expect(error.where).toBe('dataset.repeat')
  })
})

describe('loadDataset shuffle, n, repeat', () => {
  const prompts = Array.from({ length: 20 }, (_, i) => `p${i}`)
  const texts = async (opts: Record<string, unknown>) =>
    (await loadDataset({ prompts, ...opts }, { baseDir })).map((p) => p.text)

  it('repeat concatenates the whole list; ids repeat with it', async () => {
    const out = await loadDataset({ prompts: ['a', 'b', 'c'], repeat: 2 }, { baseDir })
    expect(out.map((p) => p.text)).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
    expect(out.map((p) => p.id)).toEqual([0, 1, 2, 0, 1, 2])
  })

  it('n takes the head, and more than available is fine', async () => {
    expect(await texts({ n: 3 })).toEqual(['p0', 'p1', 'p2'])
    expect(await texts({ n: 100 })).toHaveLength(20)
  })

  it('shuffle is a seeded permutation', async () => {
    const a = await texts({ shuffle: true, seed: 7 })
    expect(await texts({ shuffle: true, seed: 7 })).toEqual(a)
    expect(a).not.toEqual(prompts)
    expect([...a].sort()).toEqual([...prompts].sort())
    expect(await texts({ shuffle: true, seed: 8 })).not.toEqual(a)
  })

  it('order is shuffle, then n, then repeat', async () => {
    const shuffled = await texts({ shuffle: true, seed: 3 })
    const head = shuffled.slice(0, 4)
    expect(await texts({ shuffle: true, seed: 3, n: 4, repeat: 3 })).toEqual([...head, ...head, ...head])
  })
})

describe('synthetic datasets', () => {
  it('hits the exact token length, deterministically, with distinct prompts', async () => {
    const tokenizer = whitespaceTokenizer()
    const out = await loadDataset({ synthetic: { inputTokens: 37, n: 5 }, seed: 1 }, { baseDir, tokenizer })
    expect(out).toHaveLength(5)
    for (const p of out) expect(tokenizer.tokenize(p.text)).toHaveLength(37)
    expect(new Set(out.map((p) => p.text)).size).toBe(5)
    expect(out.map((p) => p.source)).toEqual(['synthetic[0]', 'synthetic[1]', 'synthetic[2]', 'synthetic[3]', 'synthetic[4]'])
    const again = await loadDataset({ synthetic: { inputTokens: 37, n: 5 }, seed: 1 }, { baseDir, tokenizer: whitespaceTokenizer() })
    expect(again).toEqual(out)
    const other = await loadDataset({ synthetic: { inputTokens: 37, n: 5 }, seed: 2 }, { baseDir, tokenizer: whitespaceTokenizer() })
    expect(other[0].text).not.toBe(out[0].text)
  })

  it('nudges the cut when detokenize/tokenize do not round-trip', async () => {
    // Like llama tokenizers that prepend BOS and render it as text: every round trip
    // gains a token, so the first cut is one too long.
    const base = whitespaceTokenizer()
    const BOS = -1
    const withBos: DatasetTokenizer = {
      tokenize: async (text) => [BOS, ...(await base.tokenize(text))],
      detokenize: async (tokens) => (await Promise.all(tokens.map(async (t) => (t === BOS ? '<s>' : base.detokenize([t]))))).join(' '),
    }
    const [p] = await loadDataset({ synthetic: { inputTokens: 12 } }, { baseDir, tokenizer: withBos })
    expect(await withBos.tokenize(p.text)).toHaveLength(12)
  })

  it('defaults the count to the top-level n', async () => {
    const out = await loadDataset({ synthetic: { inputTokens: 4 }, n: 3 }, { baseDir, tokenizer: whitespaceTokenizer() })
    expect(out).toHaveLength(3)
  })

  it('needs a tokenizer', async () => {
    const error = await loadError({ synthetic: { inputTokens: 4 } }, { baseDir })
    expect(error).toBeInstanceOf(LlemError)
    expect(error.code).toBe('DATASET_INVALID')
    expect(error.message).toContain('tokenizer')
  })
})
