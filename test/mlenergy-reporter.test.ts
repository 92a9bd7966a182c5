import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { createDispatcher } from '../core/reporters/dispatch.js'
import { loadReporters } from '../core/reporters/load-reporters.js'
import type { RunSummary } from '../core/reporters/types.js'
import type { AggregatedResult } from '../core/results/schema.js'
import { energyDomains, mlEnergyWindow } from '../plugins/reporters/lib/mlenergy-window.js'
import { unstableReasons, writeMlEnergy } from '../plugins/reporters/mlenergy.js'
import { GPU_RUN, gpuRequests, gpuResult, gpuTimelineCsv } from './fixtures/format-results.js'
import { captureStream } from './fixtures/reporter-context.js'
import { completedResult, failedResult } from './fixtures/results.js'

let dir: string
let runDir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-mlenergy-'))
  runDir = join(dir, 'run')
  mkdirSync(join(runDir, 'timeseries'), { recursive: true })
  writeFileSync(join(runDir, 'timeseries', 'gpu.csv'), gpuTimelineCsv())
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

// docs/references.md, "Peer formats" (from ml-energy/leaderboard): ML.ENERGY's results.json, its per-request entries and the leaderboard's configuration entries
const RESULT_KEYS = ['model_id', 'gpu_model', 'num_gpus', 'max_num_seqs', 'num_prompts', 'completed', 'duration', 'steady_state_duration', 'steady_state_energy', 'steady_state_energy_per_token', 'output_throughput', 'total_output_tokens', 'request_rate', 'burstiness', 'max_concurrency', 'results']
const REQUEST_KEYS = ['prompt', 'output_text', 'input_len', 'output_len', 'ttft', 'itl', 'latency', 'energy', 'success', 'error']
const ENTRY_KEYS = [
  'model_id', 'nickname', 'gpu_model', 'num_gpus', 'total_params_billions', 'activated_params_billions', 'architecture', 'weight_precision',
  'max_num_seqs', 'tensor_parallel', 'expert_parallel', 'data_parallel', 'energy_per_token_joules', 'energy_per_request_joules',
  'avg_power_watts', 'avg_output_len', 'median_itl_ms', 'p90_itl_ms', 'p95_itl_ms', 'p99_itl_ms', 'output_throughput_tokens_per_sec', 'avg_batch_size',
]
const RESULTS_JSON = join('Qwen', 'Qwen3-8B', 'NVIDIA-H100-80GB-HBM3', 'chat-qwen-abcdef12+16req+0seed+4max_num_seqs', 'results.json')
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'))
const write = (results: AggregatedResult[], models?: Record<string, object>) => writeMlEnergy(results, { outputDir: join(dir, 'out'), runDir, rootDir: dir, models })

const steadyDuration = GPU_RUN.steadyEnd - GPU_RUN.steadyStart
const perToken = (GPU_RUN.watts * steadyDuration) / GPU_RUN.steadyTokens

describe('mlenergy reporter', () => {
  it("finds the steady state by ML.ENERGY's rule: the max_num_seqs-th first token to the (n - max_num_seqs - 1)-th finish", () => {
    const w = mlEnergyWindow(gpuRequests(), 4)!
    expect(w.start).toBeCloseTo(GPU_RUN.steadyStart, 12)
    expect(w.end).toBeCloseTo(GPU_RUN.steadyEnd, 12)
    // 5 requests, 4 at a time: the window would close at the 0th finish, so there is none
    expect(mlEnergyWindow(gpuRequests().slice(0, 5), 4)).toBeNull()
    expect(mlEnergyWindow(gpuRequests().slice(0, 6), 4)).toEqual({ start: 0.13, end: 9 })
  })

  it('writes results.json in the benchmark layout, steady-state energy from the timeline, seconds and joules per request', async () => {
    await write([gpuResult()])
    const doc = readJson(join(dir, 'out', RESULTS_JSON))
    expect(Object.keys(doc)).toEqual(RESULT_KEYS)
    expect(doc).toMatchObject({ model_id: 'Qwen/Qwen3-8B', gpu_model: 'NVIDIA H100 80GB HBM3', num_gpus: 2, max_num_seqs: 4, num_prompts: 16, completed: 16, duration: 39, total_output_tokens: 512, request_rate: 'inf', burstiness: 1, max_concurrency: 4 })
    expect(doc.steady_state_duration).toBeCloseTo(steadyDuration, 9)
    // both GPUs (200 W + 100 W) over the window
    expect(doc.steady_state_energy).toBeCloseTo(GPU_RUN.watts * steadyDuration, 6)
    expect(doc.steady_state_energy_per_token).toBeCloseTo(perToken, 9)
    expect(doc.results).toHaveLength(16)
    const [r0, r1] = doc.results
    expect(Object.keys(r0)).toEqual(REQUEST_KEYS)
    expect(r0).toMatchObject({ prompt: 'Hello, world', output_text: null, input_len: 20, output_len: 32, ttft: 0.1, latency: 9, success: true, error: '' })
    expect(r1.prompt).toBe('Tell me: a story')
    expect(r0.itl).toEqual(new Array(31).fill(0.25))
    // a request's energy is the steady-state J/token times its output length
    expect(r0.energy).toBeCloseTo(perToken * 32, 9)
  })

  it('writes no per-request ITL when the stored gaps cannot be split exactly by request', async () => {
    const r = gpuResult()
    const p = r.process_results[0]
    // one gap too many: a chunk carried two tokens somewhere, and nobody knows where
    const lm = { ...p.inference_metrics!.latency_measurements, itl_full_ms: new Array(16 * 31 + 1).fill(250) }
    r.process_results = [{ ...p, inference_metrics: { ...p.inference_metrics!, latency_measurements: lm } }]
    await write([r])
    const doc = readJson(join(dir, 'out', RESULTS_JSON))
    expect(doc.results.every((q: { itl: unknown }) => q.itl === null)).toBe(true)
    // token times then come from spreading each request's tokens to its end: the window still has energy and tokens
    expect(doc.steady_state_energy).toBeCloseTo(GPU_RUN.watts * steadyDuration, 6)
    expect(doc.steady_state_energy_per_token).toBeGreaterThan(0)
  })

  it('writes leaderboard configuration entries per bench, with the stability verdict', async () => {
    await write([gpuResult(), failedResult], { 'Qwen/Qwen3-8B': { nickname: 'Qwen 3 8B', activated_params_billions: 8.19, architecture: 'Dense' } })
    const board = readJson(join(dir, 'out', 'leaderboard', 'chat-qwen.json'))
    expect(board).toMatchObject({ task: 'chat-qwen', task_display_name: 'chat > qwen', architecture: 'llm' })
    // the failed experiment has no numbers and no entry
    expect(board.configurations).toHaveLength(1)
    expect(readdirSync(join(dir, 'out', 'leaderboard'))).toEqual(['chat-qwen.json'])
    const [e] = board.configurations
    expect(Object.keys(e).slice(0, ENTRY_KEYS.length)).toEqual(ENTRY_KEYS)
    expect(e).toMatchObject({
      model_id: 'Qwen/Qwen3-8B', nickname: 'Qwen 3 8B', gpu_model: 'NVIDIA H100 80GB HBM3', num_gpus: 2, total_params_billions: 8.19, activated_params_billions: 8.19,
      architecture: 'Dense', weight_precision: 'bfloat16', max_num_seqs: 4, tensor_parallel: 2, expert_parallel: null, data_parallel: 1,
      avg_output_len: 32, median_itl_ms: 250, p99_itl_ms: 250, stable: true, unstable_reasons: [], experiment_id: 'chat-qwen-abcdef12', results_path: RESULTS_JSON,
    })
    expect(e.energy_per_token_joules).toBeCloseTo(perToken, 9)
    expect(e.energy_per_request_joules).toBeCloseTo(perToken * 32, 9)
    expect(e.avg_power_watts).toBeCloseTo(300, 6)
    expect(e.output_throughput_tokens_per_sec).toBeCloseTo(512 / 39, 9)
    expect(e.avg_batch_size).toBeCloseTo(GPU_RUN.avgBatch, 9)
  })

  it("gives the leaderboard's ITL percentiles over every ITL of the experiment, as numpy's linear percentile does", async () => {
    const r = gpuResult()
    // 1..100 in a scrambled order (37 is coprime with 100): numpy.percentile(range(1, 101), [50, 90, 95, 99]) -> [50.5, 90.1, 95.05, 99.01]
    r.process_results[0].inference_metrics!.latency_measurements.itl_full_ms = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1)
    await write([r])
    const [e] = readJson(join(dir, 'out', 'leaderboard', 'chat-qwen.json')).configurations
    expect(e.median_itl_ms).toBeCloseTo(50.5, 9)
    expect(e.p90_itl_ms).toBeCloseTo(90.1, 9)
    expect(e.p95_itl_ms).toBeCloseTo(95.05, 9)
    expect(e.p99_itl_ms).toBeCloseTo(99.01, 9)
  })

  it('applies the stability rule: under 20 s, J/token not positive, batch under 85% of max_num_seqs', async () => {
    expect(unstableReasons({ duration: 28, energy: 1, tokens: 1, energyPerToken: 1, power: 1, avgBatchSize: 3.4 }, null, 4)).toEqual([])
    const reasons = unstableReasons({ duration: 19.9, energy: 0, tokens: 10, energyPerToken: 0, power: 0, avgBatchSize: 3.3 }, null, 4)
    expect(reasons).toEqual(['steady state lasted 19.9 s (< 20 s)', 'energy per token is 0 J: not positive', 'average batch size 3.30 is 83% of max_num_seqs 4 (< 85%)'])

    // max_num_seqs 8 with 16 requests, 4 in flight: the 8th first token (10.13 s) to the 7th finish
    // (19.02 s), the second wave all along (35.53 request-seconds over 8.89 s): half the batch
    const wide = gpuResult()
    wide.effective_config = { ...wide.effective_config, backend: { name: 'vllm', maxNumSeqs: 8 } }
    await write([wide])
    const [e] = readJson(join(dir, 'out', 'leaderboard', 'chat-qwen.json')).configurations
    expect(e.stable).toBe(false)
    expect(e.unstable_reasons).toHaveLength(2)
    expect(e.unstable_reasons[0]).toBe('steady state lasted 8.9 s (< 20 s)')
    expect(e.unstable_reasons[1]).toBe('average batch size 4.00 is 50% of max_num_seqs 8 (< 85%)')
    expect(e.avg_batch_size).toBeCloseTo(35.53 / 8.89, 9)
  })

  it('reports why there is no steady state instead of inventing one', async () => {
    rmSync(join(runDir, 'timeseries', 'gpu.csv'))
    await write([gpuResult(), completedResult])
    const gpu = readJson(join(dir, 'out', 'leaderboard', 'chat-qwen.json')).configurations[0]
    expect(gpu).toMatchObject({ stable: false, energy_per_token_joules: null, avg_power_watts: null, avg_batch_size: null })
    expect(gpu.unstable_reasons[0]).toContain('power timeline timeseries/gpu.csv not found')
    const doc = readJson(join(dir, 'out', RESULTS_JSON))
    expect(doc.steady_state_energy).toBeNull()
    expect(doc.results[0].energy).toBeNull()
    const cpu = readJson(join(dir, 'out', 'leaderboard', 'tiny-decode.json')).configurations[0]
    expect(cpu).toMatchObject({ gpu_model: null, num_gpus: 0, stable: false })
    expect(cpu.unstable_reasons[0]).toMatch(/^no steady state by ML\.ENERGY's rule: 1 requests with max_num_seqs 2/)
  })

  it('counts GPU energy only when there are GPUs, and leaves out RAPL zones contained in a package', () => {
    expect(energyDomains(gpuResult().process_results[0])).toEqual(['nvml:GPU-a', 'nvml:GPU-b'])
    const cpu = {
      ...completedResult.process_results[0],
      energy_per_device_j: { 'rapl:package-0': 10, 'rapl:package-0/core': 6, 'rapl:dram-0': 2 },
      environment: { probes: { rapl: { zones: [{ id: 'package-0', counted_in_totals: true }, { id: 'package-0/core', counted_in_totals: false }, { id: 'dram-0', counted_in_totals: true }] } } },
    }
    expect(energyDomains(cpu)).toEqual(['rapl:package-0', 'rapl:dram-0'])
  })

  it('is loaded by name and writes into the directory outputFile names', async () => {
    const out = captureStream()
    const base = { runId: 'run-1', runDir, rootDir: dir, configFile: null, stdout: out.stream, isTTY: false, verbose: false }
    const [reporter] = await loadReporters([['mlenergy', { models: { 'Qwen/Qwen3-8B': { nickname: 'Q' } } }]], base, { outputFile: { mlenergy: 'ml' }, builtins: builtinReporters })
    const d = createDispatcher([reporter])
    await d.emit('onRunEnd', { runId: 'run-1', runDir, results: [gpuResult()], skipped: [], durationMs: 1, status: 'passed', repeats: [] } satisfies RunSummary)
    expect(d.errors()).toEqual([])
    expect(readJson(join(dir, 'ml', 'leaderboard', 'chat-qwen.json')).configurations[0].nickname).toBe('Q')
    expect(readJson(join(dir, 'ml', RESULTS_JSON)).num_prompts).toBe(16)
    expect(out.text()).toBe(`ML.ENERGY results written to ${join(dir, 'ml')}\n`)
  })
})
