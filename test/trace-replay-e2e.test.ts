/**
 * Trace replay end to end through `llem bench` on real engines with the 1M random llama: a Mooncake
 * trace on llama-server (the managed `server` backend) and a BurstGPT trace on llama.cpp embedded.
 * The truth is the engine's own count, per request, against the trace's lengths; and each request's
 * send against its trace time x timeScale (scheduled_ms, from the window start), with the replay's
 * lateness in the result.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

/** [timestamp ms, input tokens, output tokens] per row, as the trace file says */
const ROWS: [number, number, number][] = [[0, 40, 6], [0, 120, 3], [400, 9, 12], [650, 75, 5], [1200, 30, 8]]
const MOONCAKE = ROWS.map(([t, i, o], k) => JSON.stringify({ timestamp: t, input_length: i, output_length: o, hash_ids: [k] })).join('\n') + '\n'
// BurstGPT: seconds; the row with 0 response tokens is a failed request in the log, not replayed
const BURSTGPT = `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n${ROWS.map(([t, i, o]) => `${t / 1000},ChatGPT,${i},${o},${i + o},Conversation log`).join('\n')}\n1.3,GPT-4,50,0,50,API log\n`
const SCALE = 0.5

function aggregated(dir: string) {
  const root = path.join(dir, 'llem-results')
  const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  return readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8')))
}

type Req = { prompt_id: number; ok: boolean; input_tokens: number; output_tokens: number; scheduled_ms: number; start_ms: number; client_queue_ms: number }

function checkReplay(a: { process_results: { requests: Req[] }[]; workload: { replay: { time_scale: number; requests: number; trace_span_ms: number; lateness_ms: { p99: number; count: number } } } }) {
  const requests = a.process_results[0].requests
  expect(requests).toHaveLength(ROWS.length)
  const first = requests.find((q) => q.prompt_id === 0)!.scheduled_ms
  expect(first).toBeGreaterThanOrEqual(0)
  expect(first).toBeLessThan(20)
  for (const q of requests) {
    const [t, i, o] = ROWS[q.prompt_id]
    expect(q.ok).toBe(true)
    // the engine's own counts: the prompt's tokens (BOS included, as the trace's input length is the
    // prompt the model saw) and the tokens generated
    expect([q.input_tokens, q.output_tokens], `row ${q.prompt_id}`).toEqual([i, o])
    // due at its trace time x timeScale after the first row's: the load opens a moment after the energy
    // window that scheduled_ms counts from (the first energy read comes first)
    expect(q.scheduled_ms - first).toBeCloseTo(t * SCALE, 6)
    // sent at its time: never before, and late by at most 50 ms on a loaded 2-core machine
    expect(q.start_ms - q.scheduled_ms).toBeGreaterThanOrEqual(0)
    expect(q.start_ms - q.scheduled_ms).toBeLessThan(50)
  }
  expect(a.workload.replay).toMatchObject({ time_scale: SCALE, requests: ROWS.length })
  expect(a.workload.replay.trace_span_ms).toBeCloseTo(1200 * SCALE, 6)
  expect(a.workload.replay.lateness_ms.count).toBe(ROWS.length)
  expect(a.workload.replay.lateness_ms.p99).toBeLessThan(50)
}

describe('trace replay', () => {
  it('Mooncake on llama-server: every request has the trace row\'s lengths and is sent at its time', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'data/trace.jsonl': MOONCAKE,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'\nbench('replay', { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN', 4))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', extraBody: { cache_prompt: false } }, model: { path: process.env.TINY_MODEL }, dataset: { file: 'data/trace.jsonl', format: 'mooncake' }, load: { concurrency: 4, replay: { timeScale: ${SCALE} } } })\n`,
    })
    const r = await runCli(dir, ['bench'], { LLAMA_SERVER_BIN: bin, TINY_MODEL: model })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    checkReplay(aggregated(dir)[0])
  })

  it('BurstGPT on llama.cpp embedded: the same, its failed-request row left out', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'data/burst.csv': BURSTGPT,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'\nbench('replay', { backend: { name: 'llama-cpp', threads: 1, contextSize: 512 }, model: { path: process.env.TINY_MODEL }, dataset: { file: 'data/burst.csv', format: 'burstgpt' }, load: { concurrency: 4, replay: { timeScale: ${SCALE} } } })\n`,
    })
    const r = await runCli(dir, ['bench'], { TINY_MODEL: model })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    checkReplay(aggregated(dir)[0])
  })
})
