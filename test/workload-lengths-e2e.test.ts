/**
 * Length distributions and dataset files end to end on real engines: llama.cpp's server (through the
 * managed `server` backend and the openai client) and llama.cpp embedded (node-llama-cpp), both with
 * the 1M random llama. The truth is the engine's own count: the server's usage (prompt_tokens,
 * completion_tokens) per request, and node-llama-cpp's tokenizer and evaluate loop, checked against
 * the lengths written in the dataset file, or against each request's drawn length.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'
import { maxOf, minOf } from '../core/stats/extent.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

/** (input tokens, output tokens) per row, as the trace file says */
const TRACE: [number, number][] = [[8, 5], [33, 17], [100, 3], [57, 40], [150, 24], [12, 2]]
const TRACE_CSV = `request,input_len,output_len\n${TRACE.map(([i, o], k) => `"r${k}, replayed",${i},${o}`).join('\n')}\n`

const server = (dataset: string, extra = '') =>
  `bench('lengths', { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN'))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', extraBody: { cache_prompt: false } }, model: { path: process.env.TINY_MODEL }, dataset: ${dataset}, load: { concurrency: 2 }${extra} })\n`

function aggregated(dir: string) {
  const root = path.join(dir, 'llem-results')
  const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  return readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8')))
}

type Req = { prompt_id: number; ok: boolean; input_tokens: number; output_tokens: number; requested_output_tokens: number }

describe('llama-server', () => {
  const env = () => ({ LLAMA_SERVER_BIN: bin, TINY_MODEL: model })

  it('trace replay from a CSV: the server counts each row\'s input length in the prompt and generates its output length', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'data/trace.csv': TRACE_CSV,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'\n${server("{ file: 'data/trace.csv', columns: { inputTokens: 'input_len', outputTokens: 'output_len' }, outputTokens: 'dataset' }")}`,
    })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const [a] = aggregated(dir)
    const requests: Req[] = a.process_results[0].requests
    expect(requests).toHaveLength(TRACE.length)
    for (const q of requests) {
      expect(q.ok).toBe(true)
      expect([q.input_tokens, q.output_tokens], `row ${q.prompt_id}`).toEqual(TRACE[q.prompt_id])
    }
    expect(a.workload.input_lengths).toEqual({ source: 'dataset_column', spec: null })
    expect(a.workload.output_lengths).toEqual({ source: 'dataset', spec: null, mode: 'enforced' })
    expect(a.workload.realised.requests_short).toBe(0)
    expect(a.workload.realised.output_tokens.max).toBe(40)
  })

  it('drawn lengths: every request gets exactly its drawn output length, inputs within the spec; spec and seed recorded', async () => {
    const outputs = { dist: 'normal', mean: 20, stdev: 8, min: 2, max: 48 }
    const inputs = { dist: 'uniform', min: 8, max: 64 }
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/d.bench.ts': `import { bench } from 'llem'\n${server(`{ synthetic: { inputTokens: ${JSON.stringify(inputs)}, n: 12 }, outputTokens: ${JSON.stringify(outputs)}, seed: 42 }`)}`,
    })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const [a] = aggregated(dir)
    const requests: Req[] = a.process_results[0].requests
    expect(requests).toHaveLength(12)
    for (const q of requests) {
      // completion_tokens from the server's usage, against the max_tokens this request was sent with
      expect(q.output_tokens).toBe(q.requested_output_tokens)
      expect(q.requested_output_tokens).toBeGreaterThanOrEqual(2)
      expect(q.requested_output_tokens).toBeLessThanOrEqual(48)
      expect(q.input_tokens).toBeGreaterThanOrEqual(8)
      expect(q.input_tokens).toBeLessThanOrEqual(64)
    }
    // drawn, not one length for all
    expect(new Set(requests.map((q) => q.requested_output_tokens)).size).toBeGreaterThan(3)
    expect(new Set(requests.map((q) => q.input_tokens)).size).toBeGreaterThan(3)
    expect(a.workload.input_lengths).toEqual({ source: 'synthetic', spec: inputs })
    expect(a.workload.output_lengths).toEqual({ source: 'distribution', spec: outputs, mode: 'enforced' })
    expect(a.workload.seed).toBe(42)
    const outs = requests.map((q) => q.output_tokens)
    expect(a.workload.realised.output_tokens).toMatchObject({ count: 12, min: minOf(outs), max: maxOf(outs), mean: outs.reduce((x, y) => x + y, 0) / 12 })
  })
})

describe('llama.cpp embedded', () => {
  it('a Parquet file\'s length columns: node-llama-cpp\'s prompt tokens and generated tokens equal them; without ignoreEos lengths are only capped', async () => {
    const parquet = parquetWriteBuffer({ columnData: [
      { name: 'input_len', data: TRACE.map(([i]) => BigInt(i)), type: 'INT64' },
      { name: 'output_len', data: TRACE.map(([, o]) => BigInt(o)), type: 'INT64' },
    ] })
    const dataset = "{ file: 'data/trace.parquet', columns: { inputTokens: 'input_len', outputTokens: 'output_len' }, outputTokens: 'dataset' }"
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/p.bench.ts': `import { bench } from 'llem'\nbench('enforced', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: ${dataset}, load: { concurrency: 2 } })\nbench('capped', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: ${dataset}, generation: { ignoreEos: false } })\n`,
    })
    const { writeFileSync, mkdirSync } = await import('node:fs')
    mkdirSync(path.join(dir, 'data'), { recursive: true })
    writeFileSync(path.join(dir, 'data', 'trace.parquet'), Buffer.from(parquet))
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const all = aggregated(dir)
    const enforced = all.find((a) => a.bench.name === 'enforced')
    for (const q of enforced.process_results[0].requests as Req[]) expect([q.input_tokens, q.output_tokens], `row ${q.prompt_id}`).toEqual(TRACE[q.prompt_id])
    expect(enforced.workload.output_lengths.mode).toBe('enforced')
    const capped = all.find((a) => a.bench.name === 'capped')
    expect(capped.workload.output_lengths.mode).toBe('capped')
    for (const q of capped.process_results[0].requests as Req[]) {
      expect(q.input_tokens).toBe(TRACE[q.prompt_id][0])
      expect(q.requested_output_tokens).toBe(TRACE[q.prompt_id][1])
      expect(q.output_tokens).toBeLessThanOrEqual(q.requested_output_tokens)
    }
  })
})
