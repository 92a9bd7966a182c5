/**
 * Dataset files in the formats people have on disk, read through a column mapping: CSV with quoted
 * commas, line breaks and doubled quotes; JSON and JSONL records; Parquet as a downloaded Hugging Face
 * dataset folder (written by the `datasets` library: data/<split>-00000-of-00001.parquet with a
 * list<struct<from, value>> conversations column) and as a single file written here. Expected values
 * are the fixture contents; a missing or malformed mapped column is an exit-2 error naming the file,
 * the row and the column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parquetWriteFile } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { InputError } from '../core/errors.js'
import { loadDataset, type DatasetTokenizer } from '../core/workload/dataset.js'
import { makeProject, runCli } from './fixtures/project.js'

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'datasets')

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-ds-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}

async function failure(p: Promise<unknown>): Promise<InputError> {
  try {
    await p
  } catch (e) {
    return e as InputError
  }
  throw new Error('expected an error')
}

/** one token per space-separated word, ids from a growing vocabulary */
function wordTokenizer(): DatasetTokenizer {
  const ids = new Map<string, number>()
  const list: string[] = []
  return {
    tokenize: (text) => text.split(' ').filter(Boolean).map((w) => (ids.has(w) ? ids.get(w)! : (ids.set(w, list.length), list.push(w), list.length - 1))),
    detokenize: (tokens) => tokens.map((t) => list[t]).join(' '),
  }
}

const CSV = 'id,question,out_len\r\n1,"Hello, world",12\r\n2,"A ""quoted"" word\nand a second line",7\r\n\r\n3,plain,30\r\n'

describe('CSV', () => {
  it('quoted commas, doubled quotes and line breaks inside fields; lengths from a column', async () => {
    const dir = tmp({ 'q.csv': CSV })
    const out = await loadDataset({ file: 'q.csv', columns: { prompt: 'question', outputTokens: 'out_len' }, outputTokens: 'dataset' }, { baseDir: dir })
    expect(out).toEqual([
      { id: 0, text: 'Hello, world', source: 'q.csv:2', maxTokens: 12 },
      { id: 1, text: 'A "quoted" word\nand a second line', source: 'q.csv:3', maxTokens: 7 },
      // the record after the two-line field starts on line 6 (line 5 is blank)
      { id: 2, text: 'plain', source: 'q.csv:6', maxTokens: 30 },
    ])
  })

  it('a mapped column the header lacks: the file, the column and the columns there are', async () => {
    const dir = tmp({ 'q.csv': CSV })
    const e = await failure(loadDataset({ file: 'q.csv', columns: { prompt: 'prompt_text' } }, { baseDir: dir }))
    expect(e).toBeInstanceOf(InputError)
    expect([e.code, e.exitCode]).toEqual(['DATASET_INVALID', 2])
    expect(e.message).toBe(`${path.join(dir, 'q.csv')}: no column "prompt_text" (dataset.columns.prompt); the file's columns are "id", "question", "out_len"`)
  })

  it('a bad value names the line, the row and the column; an unclosed quote its line', async () => {
    const dir = tmp({ 'q.csv': 'question,n\na,5\nb,lots\n', 'open.csv': 'question\nok\n"never closed\n' })
    const e = await failure(loadDataset({ file: 'q.csv', columns: { prompt: 'question', outputTokens: 'n' }, outputTokens: 'dataset' }, { baseDir: dir }))
    expect(e.message).toBe(`${path.join(dir, 'q.csv')}:3 (row 2): column "n" (dataset.columns.outputTokens) is "lots", not a whole number of tokens above 0`)
    expect(e.where).toBe('line 3 (row 2)')
    const open = await failure(loadDataset({ file: 'open.csv', columns: { prompt: 'question' } }, { baseDir: dir }))
    expect(open.message).toBe(`${path.join(dir, 'open.csv')}:3: a quoted field is never closed`)
  })
})

describe('JSON and JSONL', () => {
  it('JSON records with a messages column: the first user turn is the prompt, the reply after it the output length', async () => {
    const rows = [
      { chat: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'two words' }, { role: 'assistant', content: 'one two three four' }] },
      { chat: [{ role: 'user', content: 'no reply here' }] },
    ]
    const dir = tmp({ 'c.json': JSON.stringify(rows) })
    const out = await loadDataset({ file: 'c.json', columns: { messages: 'chat' } }, { baseDir: dir })
    expect(out.map((p) => p.text)).toEqual(['two words', 'no reply here'])
    // the reference reply is 4 words; the second row has none, which 'dataset' lengths cannot do without
    const e = await failure(loadDataset({ file: 'c.json', columns: { messages: 'chat' }, outputTokens: 'dataset' }, { baseDir: dir, tokenizer: wordTokenizer() }))
    expect(e.message).toContain('c.json[1] has no output length')
    const one = await loadDataset({ file: 'c.json', columns: { messages: 'chat' }, outputTokens: 'dataset', n: 1 }, { baseDir: tmp({ 'c.json': JSON.stringify(rows.slice(0, 1)) }), tokenizer: wordTokenizer() })
    expect(one[0].maxTokens).toBe(4)
  })

  it('JSONL trace replay: prompts generated to each row\'s input length, outputs of its output length', async () => {
    const dir = tmp({ 't.jsonl': '{"in": 12, "out": 3}\n{"in": 40, "out": 9}\n' })
    const tokenizer = wordTokenizer()
    const out = await loadDataset({ file: 't.jsonl', columns: { inputTokens: 'in', outputTokens: 'out' }, outputTokens: 'dataset' }, { baseDir: dir, tokenizer })
    expect(out.map((p) => (tokenizer.tokenize(p.text) as number[]).length)).toEqual([12, 40])
    expect(out.map((p) => p.maxTokens)).toEqual([3, 9])
  })

  it('a JSON row without the mapped column names its index and the keys it has', async () => {
    const dir = tmp({ 'c.json': JSON.stringify([{ prompt: 'a' }, { text: 'b' }]) })
    const e = await failure(loadDataset({ file: 'c.json', columns: { prompt: 'prompt' } }, { baseDir: dir }))
    expect(e.message).toBe(`${path.join(dir, 'c.json')}: [1]: no column "prompt" (dataset.columns.prompt); this row has "text"`)
  })
})

describe('Parquet', () => {
  it('a Hugging Face dataset folder: the train split by default, another by name; first human turn, users-less rows skipped', async () => {
    const train = await loadDataset({ file: 'hf-chat' }, { baseDir: fixtures })
    expect(train).toEqual([
      { id: 0, text: 'What is a watt?', source: 'hf-chat/data/train-00000-of-00001.parquet row 0' },
      { id: 1, text: 'Name a prime, with a comma, please', source: 'hf-chat/data/train-00000-of-00001.parquet row 1' },
      { id: 2, text: 'Line one\nline two', source: 'hf-chat/data/train-00000-of-00001.parquet row 3' },
    ])
    const test = await loadDataset({ file: 'hf-chat', split: 'test', outputTokens: 'dataset' }, { baseDir: fixtures, tokenizer: wordTokenizer() })
    expect(test).toEqual([{ id: 0, text: 'from the test split', source: 'hf-chat/data/test-00000-of-00001.parquet row 0', maxTokens: 1 }])
    const e = await failure(loadDataset({ file: 'hf-chat', split: 'validation' }, { baseDir: fixtures }))
    expect(e.message).toContain('has no parquet files for split "validation" (found: data/test-00000-of-00001.parquet, data/train-00000-of-00001.parquet)')
  })

  it('a single file with a prompt column and an INT64 length column; a null prompt names the row', async () => {
    const dir = tmp({})
    const file = path.join(dir, 'p.parquet')
    parquetWriteFile({ filename: file, columnData: [
      { name: 'prompt', data: ['first prompt', 'second prompt', null], type: 'STRING' },
      { name: 'output_len', data: [5n, 8n, 2n], type: 'INT64' },
    ] })
    const out = await loadDataset({ file: 'p.parquet', columns: { outputTokens: 'output_len' }, outputTokens: 'dataset', n: 2 }, { baseDir: dir }).catch((e) => e)
    // the third row's prompt is null: every row is read before n is taken
    expect(out.message).toBe(`${file}: row 2: column "prompt" (dataset.columns.prompt) is empty, not text`)
    parquetWriteFile({ filename: file, columnData: [
      { name: 'prompt', data: ['first prompt', 'second prompt'], type: 'STRING' },
      { name: 'output_len', data: [5n, 8n], type: 'INT64' },
    ] })
    expect(await loadDataset({ file: 'p.parquet', columns: { outputTokens: 'output_len' }, outputTokens: 'dataset' }, { baseDir: dir })).toEqual([
      { id: 0, text: 'first prompt', source: 'p.parquet row 0', maxTokens: 5 },
      { id: 1, text: 'second prompt', source: 'p.parquet row 1', maxTokens: 8 },
    ])
    const missing = await failure(loadDataset({ file: 'p.parquet', columns: { prompt: 'question' } }, { baseDir: dir }))
    expect(missing.message).toBe(`${file}: no column "question" (dataset.columns.prompt); the file's columns are "prompt", "output_len"`)
  })
})

describe('the CLI refuses a bad mapping before anything runs', () => {
  it('exit 2, naming the file and the column', async () => {
    const dir = makeProject({
      'data/q.csv': CSV,
      'benchmarks/d.bench.ts': `import { bench } from 'llem'\nbench('csv', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { file: 'data/q.csv', columns: { prompt: 'prompt_text' } } })\n`,
    })
    const r = await runCli(dir, ['bench', '--dry-run'])
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.stderr).toContain(`data/q.csv: no column "prompt_text" (dataset.columns.prompt); the file's columns are "id", "question", "out_len"`)
  })
})
