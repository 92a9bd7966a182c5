/**
 * Request traces as published: Mooncake's JSONL (timestamp in ms, input_length, output_length,
 * hash_ids) and BurstGPT's CSV (Timestamp in s, Model, Request tokens, Response tokens, Total tokens,
 * Log Type; 0 response tokens marks a failed request). Each row becomes one prompt of exactly its
 * input length, asking for its output length, at its arrival time; a bad row is an exit-2 error
 * naming file:line; and load options that contradict a replay are refused before anything runs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../core/errors.js'
import { loadDataset, type DatasetTokenizer } from '../core/workload/dataset.js'
import { makeProject, runCli } from './fixtures/project.js'

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-trace-'))
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

/** one token per space-separated word */
const words: DatasetTokenizer = {
  tokenize: (text) => text.split(' ').filter(Boolean).map((_, i) => i),
  detokenize: (tokens) => tokens.map(() => 'w').join(' '),
}
const count = (text: string) => text.split(' ').filter(Boolean).length

const MOONCAKE = [
  '{"timestamp": 0, "input_length": 12, "output_length": 5, "hash_ids": [0]}',
  '{"timestamp": 0, "input_length": 30, "output_length": 9, "hash_ids": [0, 1]}',
  '{"timestamp": 2750, "input_length": 7, "output_length": 40, "hash_ids": [2]}',
  '',
].join('\n')

const BURSTGPT = [
  'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type',
  '5,ChatGPT,472,18,490,Conversation log',
  '45,ChatGPT,1087,0,1087,Conversation log',
  '118.5,GPT-4,417,276,693,API log',
  '',
].join('\n')

describe('mooncake', () => {
  it('each line: a prompt of input_length tokens asking for output_length, at timestamp ms', async () => {
    const dir = tmp({ 't.jsonl': MOONCAKE })
    const prompts = await loadDataset({ file: 't.jsonl', format: 'mooncake' }, { baseDir: dir, tokenizer: words })
    expect(prompts.map((p) => [count(p.text), p.maxTokens, p.arrivalMs, p.source])).toEqual([
      [12, 5, 0, 't.jsonl:1'],
      [30, 9, 0, 't.jsonl:2'],
      [7, 40, 2750, 't.jsonl:3'],
    ])
  })

  it('a bad row names the file, the line and the field', async () => {
    const dir = tmp({ 'bad.jsonl': `${MOONCAKE}{"timestamp": 3000, "input_length": -4, "output_length": 2}\n` })
    const e = await failure(loadDataset({ file: 'bad.jsonl', format: 'mooncake' }, { baseDir: dir, tokenizer: words }))
    expect(e).toBeInstanceOf(InputError)
    expect(e.message).toBe(`${path.join(dir, 'bad.jsonl')}:4: "input_length" is -4: a whole number of input tokens above 0`)
    const back = tmp({ 'back.jsonl': `${MOONCAKE}{"timestamp": 100, "input_length": 4, "output_length": 2}\n` })
    expect((await failure(loadDataset({ file: 'back.jsonl', format: 'mooncake' }, { baseDir: back, tokenizer: words }))).message).toBe(
      `${path.join(back, 'back.jsonl')}:4: "timestamp" 100 is earlier than the row before (2750): a trace lists its requests in time order`,
    )
  })
})

describe('burstgpt', () => {
  it('Timestamp in seconds, Request and Response tokens; rows with 0 response tokens (failed requests) left out', async () => {
    const dir = tmp({ 'b.csv': BURSTGPT })
    const prompts = await loadDataset({ file: 'b.csv', format: 'burstgpt' }, { baseDir: dir, tokenizer: words })
    expect(prompts.map((p) => [count(p.text), p.maxTokens, p.arrivalMs, p.source])).toEqual([
      [472, 18, 5000, 'b.csv:2'],
      [417, 276, 118500, 'b.csv:4'],
    ])
  })

  it('a missing column is named with the header; a bad row with its line', async () => {
    const dir = tmp({ 'h.csv': 'Timestamp,Model,Request tokens,Total tokens\n1,ChatGPT,5,9\n', 'r.csv': `${BURSTGPT}130,ChatGPT,12,abc,12,API log\n` })
    expect((await failure(loadDataset({ file: 'h.csv', format: 'burstgpt' }, { baseDir: dir }))).message).toBe(
      `${path.join(dir, 'h.csv')}: a BurstGPT trace needs the columns "Response tokens"; the header has "Timestamp", "Model", "Request tokens", "Total tokens"`,
    )
    expect((await failure(loadDataset({ file: 'r.csv', format: 'burstgpt' }, { baseDir: dir, tokenizer: words }))).message).toBe(
      `${path.join(dir, 'r.csv')}:5 (row 4): "Response tokens" is "abc": a whole number of output tokens (0 only for a failed request in a BurstGPT trace)`,
    )
  })
})

describe('the CLI refuses before anything runs (exit 2)', () => {
  const bench = (dataset: string, load: string) => `import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: ${dataset}, load: ${load} })\n`

  it('a bad trace row, by file:line', async () => {
    const dir = makeProject({ 'data/t.jsonl': `${MOONCAKE}not json\n`, 'benchmarks/t.bench.ts': bench("{ file: 'data/t.jsonl', format: 'mooncake' }", '{ replay: {} }') })
    const r = await runCli(dir, ['bench', '--dry-run'])
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.stderr).toMatch(/data\/t\.jsonl:4: not valid JSON/)
  })

  it('load.replay with a dataset that is no trace, or with load.rate', async () => {
    const a = await runCli(makeProject({ 'benchmarks/a.bench.ts': bench("{ prompts: ['x'] }", '{ replay: { timeScale: 0.5 } }') }), ['bench', '--dry-run'])
    expect(a.code, a.stdout + a.stderr).toBe(2)
    expect(a.stderr).toContain("benchmarks/a.bench.ts:2: bench(\"t\"): load.replay: a replay sends each request at its time in a trace: the dataset must be one (dataset.format 'mooncake' or 'burstgpt')")
    const dir = makeProject({ 'data/t.jsonl': MOONCAKE, 'benchmarks/b.bench.ts': bench("{ file: 'data/t.jsonl', format: 'mooncake' }", '{ replay: {}, rate: 4 }') })
    const b = await runCli(dir, ['bench', '--dry-run'])
    expect(b.code, b.stdout + b.stderr).toBe(2)
    expect(b.stderr).toContain('load.replay: the trace sets when requests are sent: remove load.rate')
  })
})
