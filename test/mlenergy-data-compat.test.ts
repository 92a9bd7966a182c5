/**
 * ML.ENERGY's own data toolkit (mlenergy-data, pinned in requirements/peers.txt) loads llem's mlenergy
 * output written with `layout: 'v3'`: LLMRuns.from_raw_results builds one run per completed experiment
 * with a steady state, and its numbers are the scenario's truth (two H100s drawing 300 W together over
 * ML.ENERGY's steady state, 380 tokens in it, every ITL 250 ms), its stability verdict the same as llem's.
 * Two experiments that differ only in something the layout's directory names do not hold (a sweep) stay
 * two runs; one without a steady state is dropped by the toolkit (with its warning), as it has no
 * energy to give. Experiments disagreeing on a model's one config file are reported. Under CI a
 * missing env fails.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AggregatedResult } from '../core/results/schema.js'
import { createMlEnergyReporter, writeMlEnergy } from '../plugins/reporters/mlenergy.js'
import { GPU_RUN, gpuResult, gpuTimelineCsv } from './fixtures/format-results.js'
import { REPO } from './fixtures/project.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'
import { captureStream } from './fixtures/reporter-context.js'
import { completedResult } from './fixtures/results.js'

interface ToolkitRun {
  task: string
  model_id: string
  gpu_model: string
  num_gpus: number
  max_num_seqs: number
  tensor_parallel: number
  data_parallel: number
  total_params_billions: number
  weight_precision: string
  steady_state_energy_joules: number
  steady_state_duration_seconds: number
  energy_per_token_joules: number
  avg_power_watts: number
  avg_batch_size: number | null
  median_itl_ms: number
  p99_itl_ms: number
  is_stable: boolean
}

const work = mkdtempSync(path.join(tmpdir(), 'llem-mlenergy-data-'))
const out = path.join(work, 'out')
const notes: string[] = []
let read: { mlenergy_data: string; runs: ToolkitRun[]; warnings: string[] }
let leaderboard: { configurations: Array<{ experiment_id: string; stable: boolean }> }

beforeAll(async () => {
  const python = pythonEnv('peers')
  const runDir = path.join(work, 'run')
  mkdirSync(path.join(runDir, 'timeseries'), { recursive: true })
  writeFileSync(path.join(runDir, 'timeseries', 'gpu.csv'), gpuTimelineCsv())
  const first = gpuResult()
  // a sweep's second point: the same model, GPUs, batch cap and requests, another experiment
  const second: AggregatedResult = { ...gpuResult(), experiment_id: 'chat-qwen-temperature-0-5-0123abcd', task_hash: '0123abcd89ef4567' }
  // the same model on the same GPUs split another way: the layout keeps one parallelism file for both
  const split = gpuResult()
  const reshaped: AggregatedResult = { ...split, experiment_id: 'chat-qwen-dp-2-fedc9876', effective_config: { ...split.effective_config, backend: { name: 'vllm', maxNumSeqs: 4, tensorParallelSize: 1 }, parallel: { data: 2 } } }
  await writeMlEnergy([first, second, reshaped, completedResult], { outputDir: out, runDir, rootDir: work, layout: 'v3', note: (l) => notes.push(l) })
  leaderboard = JSON.parse(readFileSync(path.join(out, 'leaderboard', 'chat-qwen.json'), 'utf8'))
  read = JSON.parse(execFileSync(python, [path.join(REPO, 'test', 'python', 'mlenergy_data_check.py'), out], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', HF_HUB_OFFLINE: '1' }, timeout: 300_000 }))
}, ENV_BUILD_TIMEOUT_MS)
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe("llem's ML.ENERGY V3 output read by ML.ENERGY's data toolkit", () => {
  it('builds a run per experiment with a steady state, with the numbers of the scenario', () => {
    expect(read.mlenergy_data).toBe('0.4.0')
    expect(read.runs).toHaveLength(3)
    const duration = GPU_RUN.steadyEnd - GPU_RUN.steadyStart
    for (const run of read.runs) {
      expect(run).toMatchObject({ task: 'chat-qwen', model_id: 'Qwen/Qwen3-8B', gpu_model: 'H100', num_gpus: 2, max_num_seqs: 4, total_params_billions: 8.19, weight_precision: 'bfloat16' })
      expect(run.steady_state_duration_seconds).toBeCloseTo(duration, 9)
      expect(run.steady_state_energy_joules).toBeCloseTo(GPU_RUN.watts * duration, 6)
      expect(run.energy_per_token_joules).toBeCloseTo((GPU_RUN.watts * duration) / GPU_RUN.steadyTokens, 9)
      expect(run.avg_power_watts).toBeCloseTo(GPU_RUN.watts, 9)
      expect(run.avg_batch_size).toBeCloseTo(GPU_RUN.avgBatch, 9)
      expect(run.median_itl_ms).toBeCloseTo(250, 9)
      expect(run.p99_itl_ms).toBeCloseTo(250, 9)
      // the one parallelism file per model and GPU is the first experiment's
      expect([run.tensor_parallel, run.data_parallel]).toEqual([2, 1])
    }
  })

  it("judges stability as llem's leaderboard entries do", () => {
    const llem = leaderboard.configurations.map((c) => c.stable)
    expect(llem).toHaveLength(3)
    expect(read.runs.map((r) => r.is_stable)).toEqual(llem)
  })

  it('drops the experiment without a steady state, saying which, and llem reports the config it could not keep', () => {
    const cpuFile = read.warnings.find((w) => w.includes(`llem_experiment+${completedResult.experiment_id}`))
    expect(cpuFile, read.warnings.join('\n')).toContain('steady_state_energy')
    expect(notes).toEqual([expect.stringMatching(/^ML\.ENERGY V3 layout: configs\/vllm\/chat-qwen\/Qwen\/Qwen3-8B\/H100\/monolithic\.config\.yaml: chat-qwen-dp-2-fedc9876 differs from chat-qwen-abcdef12/)])
  })

  it('an unknown layout is refused when the reporter is made (bad input), not after the run', () => {
    const ctx = { runId: 'r', runDir: work, rootDir: work, configFile: null, outputFile: null, stdout: captureStream().stream, isTTY: false, verbose: false }
    expect(() => createMlEnergyReporter({ ...ctx, options: { layout: 'v4' } })).toThrow(`options.layout: expected one of 'benchmark', 'v3', got "v4"`)
    expect(() => createMlEnergyReporter({ ...ctx, options: { layout: 'v3' } })).not.toThrow()
  })
})
