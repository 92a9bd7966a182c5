/**
 * Turn the `dataset` bench option into the concrete list of prompts a run sends.
 *
 * The list is fully determined by the options and the seed, so two runs of the same
 * bench send the same prompts in the same order and their energy numbers compare.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { InputError, LlemError } from '../errors.js'
import { datasetOptionsSchema, inferDatasetFormat, type DatasetOptionsInput } from './dataset-schema.js'
import { createRng, deriveSeed, type Rng } from './random.js'

export interface DatasetPrompt {
  /** position in the source list before shuffle/n/repeat, so repeats of a prompt share an id */
  id: number
  text: string
  /** where it came from, for provenance: `prompts[2]`, `data/p.jsonl:14`, `sg.json[7]`, `synthetic[0]` */
  source: string
}

export interface DatasetTokenizer {
  // a served model tokenizes over HTTP: either form works
  tokenize(text: string): number[] | Promise<number[]>
  detokenize(tokens: number[]): string | Promise<string>
}

export interface DatasetContext {
  /** directory relative `file` paths resolve against (the bench file's directory) */
  baseDir: string
  /** the model's tokenizer; only synthetic datasets need it */
  tokenizer?: DatasetTokenizer
}

/**
 * Load, then reshape in a fixed order: shuffle -> take the first n -> repeat the whole
 * list. Shuffling first makes `n` a random subset rather than always the head of the
 * file; repeating last keeps every pass over the list in the same order. Changing this
 * order changes which prompts a seed selects, so it must stay put.
 *
 * Accepts raw user options (validated here, defaults applied) or already-parsed ones.
 */
export async function loadDataset(options: DatasetOptionsInput, ctx: DatasetContext): Promise<DatasetPrompt[]> {
  const parsed = datasetOptionsSchema.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = ['dataset', ...issue.path.map(String)].join('.')
    throw new InputError('DATASET_INVALID', `${where}: ${issue.message}`, { where })
  }
  const opts = parsed.data

  let prompts: DatasetPrompt[]
  if (opts.prompts !== undefined) {
    prompts = opts.prompts.map((text, id) => ({ id, text, source: `prompts[${id}]` }))
  } else if (opts.file !== undefined) {
    prompts = await loadFile(opts.file, opts.format ?? inferDatasetFormat(opts.file), opts.field ?? 'prompt', ctx.baseDir)
  } else {
    const synthetic = opts.synthetic!
    prompts = await synthesise(synthetic.inputTokens, synthetic.n ?? opts.n ?? 1, opts.seed, ctx.tokenizer)
  }

  if (opts.shuffle) shuffleInPlace(prompts, createRng(opts.seed))
  // n larger than the list is not an error: "up to n" is what a user asking for a sample means.
  if (opts.n !== undefined) prompts = prompts.slice(0, opts.n)
  const result: DatasetPrompt[] = []
  // element by element: push(...prompts) passes every prompt as an argument and overflows the stack on a large file
  for (let r = 0; r < opts.repeat; r++) for (const p of prompts) result.push(p)

  if (result.length === 0) {
    const what = opts.file !== undefined ? `dataset file ${resolve(ctx.baseDir, opts.file)}` : 'dataset'
    throw new InputError('DATASET_INVALID', `${what} contains no prompts`, { file: opts.file && resolve(ctx.baseDir, opts.file) })
  }
  // Copies, so a caller mutating one repeat does not change the others.
  return result.map((p) => ({ ...p }))
}

async function loadFile(file: string, format: 'text' | 'jsonl' | 'sharegpt', field: string, baseDir: string) {
  const path = resolve(baseDir, file)
  let raw: string
  try {
    raw = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InputError('DATASET_NOT_FOUND', `dataset file not found: ${path}`, { file: path, cause: error })
    }
    throw new InputError('DATASET_INVALID', `cannot read dataset file ${path}: ${(error as Error).message}`, { file: path, cause: error })
  }
  if (raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1)
  // `source` uses the path as written: absolute paths would leak the machine layout into results.
  if (format === 'text') return parseText(raw, file)
  if (format === 'jsonl') return parseJsonl(raw, file, path, field)
  return parseShareGpt(raw, file, path)
}

function parseText(raw: string, file: string): DatasetPrompt[] {
  const prompts: DatasetPrompt[] = []
  raw.split('\n').forEach((line, i) => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    if (text.trim() !== '') prompts.push({ id: prompts.length, text, source: `${file}:${i + 1}` })
  })
  return prompts
}

function parseJsonl(raw: string, file: string, path: string, field: string): DatasetPrompt[] {
  const prompts: DatasetPrompt[] = []
  raw.split('\n').forEach((line, i) => {
    const lineNo = i + 1
    if (line.trim() === '') return
    const where = `line ${lineNo}`
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      throw new InputError('DATASET_INVALID', `${path}:${lineNo}: not valid JSON (${(error as Error).message})`, { file: path, where, cause: error })
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError('DATASET_INVALID', `${path}:${lineNo}: expected a JSON object with a "${field}" field`, { file: path, where })
    }
    const text = (value as Record<string, unknown>)[field]
    if (typeof text !== 'string') {
      const problem = text === undefined ? 'has no' : 'has a non-string'
      throw new InputError('DATASET_INVALID', `${path}:${lineNo}: ${problem} "${field}" field`, { file: path, where })
    }
    prompts.push({ id: prompts.length, text, source: `${file}:${lineNo}` })
  })
  return prompts
}

const HUMAN_SPEAKERS = new Set(['human', 'user'])

function parseShareGpt(raw: string, file: string, path: string): DatasetPrompt[] {
  let data: unknown
  try {
    data = JSON.parse(raw)
  } catch (error) {
    throw new InputError('DATASET_INVALID', `${path}: not valid JSON (${(error as Error).message})`, { file: path, cause: error })
  }
  if (!Array.isArray(data)) {
    throw new InputError('DATASET_INVALID', `${path}: expected a ShareGPT JSON array of { conversations: [...] }`, { file: path })
  }
  const prompts: DatasetPrompt[] = []
  data.forEach((entry, i) => {
    const text = firstHumanTurn(entry)
    // Real ShareGPT dumps contain empty and gpt-first conversations; skipping them is what vLLM does.
    if (text !== undefined) prompts.push({ id: prompts.length, text, source: `${file}[${i}]` })
  })
  return prompts
}

function firstHumanTurn(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined
  const record = entry as Record<string, unknown>
  // `messages` with role/content is the OpenAI-style export many ShareGPT-like sets use.
  const turns = Array.isArray(record.conversations) ? record.conversations : Array.isArray(record.messages) ? record.messages : undefined
  if (turns === undefined) return undefined
  for (const turn of turns) {
    if (typeof turn !== 'object' || turn === null) continue
    const t = turn as Record<string, unknown>
    const speaker = typeof t.from === 'string' ? t.from : t.role
    const text = typeof t.value === 'string' ? t.value : t.content
    if (typeof speaker === 'string' && HUMAN_SPEAKERS.has(speaker.toLowerCase()) && typeof text === 'string' && text.trim() !== '') {
      return text
    }
  }
  return undefined
}

// Plain, common English words: they tokenize to about one token each in every BPE
// vocabulary, so the word count is a good first guess at the token count.
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her she there been one all we their has would when if so no will more out can other what time some ' +
  'them could these two may first then do any like my now over such our man me even most made after also did many ' +
  'before must through back years where much your way well down should because each just those people how too ' +
  'little state good very make world still own see men work long get here between both life being under never day ' +
  'same another know while last might us great old year off come since against go came right used take three'
).split(' ')

/**
 * `count` prompts of exactly `inputTokens` tokens where the tokenizer allows it.
 * Truncating a token list and detokenizing can re-tokenize to a different length (merges
 * across the cut), so the cut point is nudged by the observed error a few times; if it
 * never lands exactly, the closest text is used.
 */
async function synthesise(inputTokens: number, count: number, seed: number, tokenizer: DatasetTokenizer | undefined): Promise<DatasetPrompt[]> {
  if (tokenizer === undefined) {
    throw new LlemError('DATASET_INVALID', 'a synthetic dataset needs the model tokenizer, and none was provided')
  }
  const prompts: DatasetPrompt[] = []
  const seen = new Set<string>()
  for (let id = 0; id < count; id++) {
    // Retry with another stream on a collision so prompts stay distinct (prefix caching
    // would otherwise make repeats look cheaper); tiny lengths may still collide.
    let text = ''
    for (let attempt = 0; attempt < 8; attempt++) {
      text = await synthesiseOne(inputTokens, createRng(deriveSeed(seed, id, attempt)), tokenizer)
      if (!seen.has(text)) break
    }
    seen.add(text)
    prompts.push({ id, text, source: `synthetic[${id}]` })
  }
  return prompts
}

async function synthesiseOne(target: number, rng: Rng, tokenizer: DatasetTokenizer): Promise<string> {
  const words: string[] = []
  let wordCount = target + 8
  let tokens: number[]
  for (;;) {
    while (words.length < wordCount) words.push(WORDS[Math.floor(rng() * WORDS.length)])
    tokens = await tokenizer.tokenize(words.join(' '))
    if (tokens.length >= target) break
    if (wordCount > target * 16 + 1024) {
      throw new LlemError('DATASET_INVALID', `synthetic dataset: the tokenizer gave only ${tokens.length} tokens for ${wordCount} words, cannot reach ${target}`)
    }
    wordCount *= 2
  }

  let best = { text: '', error: Infinity }
  let cut = target
  const tried = new Set<number>()
  while (!tried.has(cut)) {
    tried.add(cut)
    const text = await tokenizer.detokenize(tokens.slice(0, cut))
    const length = (await tokenizer.tokenize(text)).length
    if (length === target) return text
    if (Math.abs(length - target) < best.error) best = { text, error: Math.abs(length - target) }
    cut = Math.min(tokens.length, Math.max(1, cut + target - length))
  }
  return best.text
}

function shuffleInPlace<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const tmp = items[i]
    items[i] = items[j]
    items[j] = tmp
  }
}
