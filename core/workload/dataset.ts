/**
 * Turn the `dataset` bench option into the concrete list of prompts a run sends, each with the output
 * length it asks for when the dataset sets one.
 *
 * The list is fully determined by the options and the seed, so two runs of the same bench send the
 * same prompts, of the same lengths, in the same order, and their energy numbers compare.
 */
import { resolve } from 'node:path'
import { stat } from 'node:fs/promises'
import { InputError, LlemError } from '../errors.js'
import { columnFormats, inferDatasetFormat, type DatasetFormat } from './dataset-formats.js'
import type { DatasetOptions, DatasetOptionsInput } from './dataset-schema.js'
import { parquetFiles, readCsvRecords, readJsonlRecords, readJsonRecords, readParquetRecords, readText, type DatasetRecord } from './dataset-records.js'
import { mapRecords, type MappedRow } from './dataset-columns.js'
import { lengthSampler } from './lengths.js'
import { createRng, deriveSeed, type Rng } from './random.js'
import { synthesisePrompt, type DatasetTokenizer } from './synthetic-text.js'
import { applyTurns } from './conversations.js'
import { applyTraceRows, readTraceRows } from './trace-formats.js'
import { PrefixPool, prefixIdOf, type SharedPrefix } from './shared-prefix.js'

export type { DatasetTokenizer } from './synthetic-text.js'

export interface DatasetPrompt {
  /** position in the source list before shuffle/n/repeat, so repeats of a prompt share an id */
  id: number
  text: string
  /** where it came from, for provenance: `prompts[2]`, `data/p.jsonl:14`, `sg.json[7]`, `synthetic[0]` */
  source: string
  /** the output length this prompt asks for (dataset.outputTokens); absent: generation.maxTokens */
  maxTokens?: number
  /** a conversation (dataset.multiTurn): its user turns in order, the first being `text`; each is sent
   *  with the history before it */
  turns?: { text: string; maxTokens?: number }[]
  /** a trace row: when the trace sent it (ms, as the trace counts them; load.replay sends it then) */
  arrivalMs?: number
  /** synthetic.prefix: which of the shared prefixes (0 .. count - 1) the prompt starts with */
  prefixId?: number
}

export interface DatasetContext {
  /** directory relative `file` paths resolve against (the bench file's directory) */
  baseDir: string
  /** the model's tokenizer; synthetic prompts and lengths counted from reference responses need it */
  tokenizer?: DatasetTokenizer
  /** read and check the file and its columns only: nothing that needs the tokenizer is done, and
   *  prompts that would be generated are left empty (the check before a run, with no model loaded) */
  checkOnly?: boolean
}

/** Draw streams, one per purpose, so adding output lengths never changes which input lengths a seed gives. */
const STREAM = { inputLengths: 1, outputLengths: 2 } as const

/**
 * Load, then reshape in a fixed order: shuffle -> take the first n -> repeat the whole
 * list. Shuffling first makes `n` a random subset rather than always the head of the
 * file; repeating last keeps every pass over the list in the same order. Changing this
 * order changes which prompts a seed selects, so it must stay put. Lengths are drawn per
 * prompt before the reshaping, so a prompt keeps its lengths whatever n or shuffle select.
 *
 * Accepts raw user options (validated here, defaults applied) or already-parsed ones.
 */
export async function loadDataset(options: DatasetOptionsInput, ctx: DatasetContext): Promise<DatasetPrompt[]> {
  // the schema (and zod) only here: the experiment worker loads parsed options (loadParsedDataset)
  const { datasetOptionsSchema } = await import('./dataset-schema.js')
  const parsed = datasetOptionsSchema.safeParse(options)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = ['dataset', ...issue.path.map(String)].join('.')
    throw new InputError('DATASET_INVALID', `${where}: ${issue.message}`, { where })
  }
  return loadParsedDataset(parsed.data, ctx)
}

/**
 * loadDataset for options already parsed by the dataset schema: an experiment's `dataset` section,
 * which the main process validated with the rest of its config before sending the experiment to a worker.
 */
export async function loadParsedDataset(opts: DatasetOptions, ctx: DatasetContext): Promise<DatasetPrompt[]> {
  let rows: MappedRow[]
  if (opts.prompts !== undefined) {
    rows = opts.prompts.map((text, id) => ({ id, text, source: `prompts[${id}]` }))
  } else if (opts.file !== undefined) {
    rows = await loadFileRows(opts, ctx.baseDir)
  } else {
    const synthetic = opts.synthetic!
    // with a shared prefix the length drawn is the unique suffix's: the prefix is added when the text is made
    const draw = lengthSampler((synthetic.inputTokens ?? synthetic.suffixTokens)!, createRng(deriveSeed(opts.seed, STREAM.inputLengths)))
    rows = Array.from({ length: synthetic.n ?? opts.n ?? 1 }, (_, id) => ({ id, inputTokens: draw(), source: `synthetic[${id}]` }))
  }
  const outputs = await outputLengths(rows, opts, ctx)
  let prompts = await materialise(rows, outputs, opts.seed, ctx, opts.synthetic?.prefix)

  // conversations' turns and traces' arrival times, row by row (prompts are still in row order here)
  await applyTurns(rows, prompts, opts, ctx)
  applyTraceRows(rows, prompts, opts.outputTokens !== undefined)

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

/** The format a file is read as: the option, else its extension; a folder is a parquet dataset. */
export async function resolveDatasetFormat(opts: Pick<DatasetOptions, 'file' | 'format' | 'columns'>, baseDir: string): Promise<DatasetFormat> {
  if (opts.format !== undefined) return opts.format
  const inferred = inferDatasetFormat(opts.file!, opts.columns !== undefined)
  if (inferred !== 'text') return inferred
  const isDir = await stat(resolve(baseDir, opts.file!)).then((s) => s.isDirectory(), () => false)
  return isDir ? 'parquet' : 'text'
}

async function loadFileRows(opts: DatasetOptions, baseDir: string): Promise<MappedRow[]> {
  const file = opts.file!
  const path = resolve(baseDir, file)
  const format = await resolveDatasetFormat(opts, baseDir)
  // `source` uses the path as written: absolute paths would leak the machine layout into results.
  if (opts.split !== undefined && format !== 'parquet') throw new InputError('DATASET_INVALID', `dataset.split: ${path} is not a parquet dataset (split only applies to a parquet folder)`, { file: path, where: 'dataset.split' })
  if (opts.columns !== undefined && !columnFormats.has(format)) throw new InputError('DATASET_INVALID', `dataset.columns: ${path} is read as ${format}, which has no columns (columns apply to json, jsonl, csv and parquet)`, { file: path, where: 'dataset.columns' })
  if (format === 'text') return parseText(await readText(path), file)
  if (format === 'mooncake' || format === 'burstgpt') return readTraceRows(path, file, format)
  if (format === 'parquet') {
    const files = await parquetFiles(path, opts.split ?? 'train')
    const c = opts.columns
    // with no input column mapped, the ones it is looked for under (dataset-columns.ts) are read too
    const wanted = c ? [...Object.values(c).filter((v): v is string => v !== undefined), ...(c.prompt ?? c.messages ?? c.inputTokens ? [] : ['prompt', 'messages', 'conversations'])] : null
    const read = await readParquetRecords(files, path, file, wanted)
    return mapRecords(read.records, read.columns, { columns: opts.columns, format, file: read.files[0] })
  }
  const raw = await readText(path)
  let records: DatasetRecord[]
  let columns: string[] | null = null
  if (format === 'csv') ({ records, columns } = readCsvRecords(raw, path, file))
  else if (format === 'jsonl') records = readJsonlRecords(raw, path, file)
  else records = readJsonRecords(raw, path, file)
  const columnsOption = opts.columns ?? (opts.field !== undefined ? { prompt: opts.field } : undefined)
  return mapRecords(records, columns, { columns: columnsOption, format, file: path })
}

function parseText(raw: string, file: string): MappedRow[] {
  const rows: MappedRow[] = []
  raw.split('\n').forEach((line, i) => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    if (text.trim() !== '') rows.push({ id: rows.length, text, source: `${file}:${i + 1}` })
  })
  return rows
}

/** Each row's output length, by id, or null when generation.maxTokens applies to all. */
async function outputLengths(rows: MappedRow[], opts: DatasetOptions, ctx: DatasetContext): Promise<(number | undefined)[] | null> {
  const spec = opts.outputTokens
  if (spec === undefined) return null
  if (spec !== 'dataset') {
    const draw = lengthSampler(spec, createRng(deriveSeed(opts.seed, STREAM.outputLengths)))
    return rows.map(() => draw())
  }
  const out: (number | undefined)[] = []
  for (const row of rows) {
    if (row.outputTokens !== undefined) out.push(row.outputTokens)
    else if (row.response !== undefined) {
      if (ctx.checkOnly) out.push(undefined)
      else if (ctx.tokenizer === undefined) throw new LlemError('DATASET_INVALID', "outputTokens: 'dataset' counts the reference responses with the model tokenizer, and none was provided")
      else out.push(Math.max(1, (await ctx.tokenizer.tokenize(row.response)).length))
    } else {
      throw new InputError('DATASET_INVALID', `dataset.outputTokens is 'dataset', but ${row.source} has no output length: map columns.outputTokens (a length) or columns.response (a reference reply), or use messages with an assistant reply`, { where: row.source })
    }
  }
  return out
}

async function materialise(rows: MappedRow[], outputs: (number | undefined)[] | null, seed: number, ctx: DatasetContext, prefix?: SharedPrefix): Promise<DatasetPrompt[]> {
  const prompts: DatasetPrompt[] = []
  const seen = new Set<string>()
  const pool = prefix && ctx.tokenizer ? new PrefixPool(prefix, seed, ctx.tokenizer) : null
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    let text = row.text ?? ''
    if (row.text === undefined && !ctx.checkOnly) {
      if (ctx.tokenizer === undefined) throw new LlemError('DATASET_INVALID', 'a synthetic dataset (or an inputTokens column) needs the model tokenizer, and none was provided')
      text = pool ? await pool.prompt(row.id, row.inputTokens!, seen) : await distinctPrompt(row.inputTokens!, seed, row.id, ctx.tokenizer, seen)
    }
    const maxTokens = outputs?.[i]
    prompts.push({ id: row.id, text, source: row.source, ...(maxTokens !== undefined ? { maxTokens } : {}), ...(prefix ? { prefixId: prefixIdOf(prefix, row.id) } : {}) })
  }
  return prompts
}

/**
 * Retry with another stream on a collision so prompts stay distinct (prefix caching would otherwise
 * make repeats look cheaper); tiny lengths may still collide.
 */
async function distinctPrompt(tokens: number, seed: number, id: number, tokenizer: DatasetTokenizer, seen: Set<string>): Promise<string> {
  let text = ''
  for (let attempt = 0; attempt < 8; attempt++) {
    text = await synthesisePrompt(tokens, createRng(deriveSeed(seed, id, attempt)), tokenizer)
    if (!seen.has(text)) break
  }
  seen.add(text)
  return text
}

function shuffleInPlace<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const tmp = items[i]
    items[i] = items[j]
    items[j] = tmp
  }
}
