/**
 * Scheduling on several GPUs (the fake NVML with two devices, real llama.cpp on the CPU): experiments
 * on disjoint GPUs overlap in time and each result carries its own device's energy; data-parallel
 * shards aggregate into one result; --gpus narrows the slots; an experiment no slot can hold fails.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { twoFakeGpusEnv } from './fixtures/two-fake-gpus.js'
import { maxOf, minOf } from '../core/stats/extent.js'

let gpuEnv: Record<string, string>
beforeAll(() => {
  gpuEnv = twoFakeGpusEnv()
})

const CONFIG = `export default {
  measurement: { baseline: { seconds: 0.2, ttlSeconds: 0 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
}
`
const bench = (name: string, extra: string) => `bench('${name}', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, ${extra} })\n`

async function run(benches: string, args: string[] = []) {
  const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/s.bench.ts': `import { bench } from 'llem'\n${benches}` })
  const r = await runCli(dir, ['bench', ...args], gpuEnv)
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
  const aggs = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
  return { r, aggs, runDir }
}
const watts = (raw: { energy_metrics: { gpu_energy_j: number; duration_sec: number } }) => raw.energy_metrics.gpu_energy_j / raw.energy_metrics.duration_sec

describe('scheduling on GPU slots', () => {
  it('experiments on disjoint GPUs run at the same time, each measuring its own GPU, CPU energy flagged as shared', async () => {
    // duration-based: each window lasts ~1.5 s whatever the machine's speed, so the two overlap and a
    // 5 ms counter's edges are well under 1% of each window
    const { r, aggs } = await run(bench('sweep', "load: { requests: 1000000, duration: 1.5 }, sweep: { 'load.seed': [1, 2] }"))
    expect(r.code, r.stderr).toBe(0)
    const [a, b] = aggs.sort((x, y) => x.sweep_point['load.seed'] - y.sweep_point['load.seed'])
    // both started before either ended
    expect(Date.parse(a.start_time)).toBeLessThan(Date.parse(b.end_time))
    expect(Date.parse(b.start_time)).toBeLessThan(Date.parse(a.end_time))
    const byUuid = Object.fromEntries(aggs.map((x) => [x.process_results[0].devices[0].uuid, watts(x.process_results[0])]))
    expect(Object.keys(byUuid).sort()).toEqual(['GPU-one', 'GPU-two'])
    expect(byUuid['GPU-one']).toBeGreaterThan(95)
    expect(byUuid['GPU-one']).toBeLessThan(105)
    expect(byUuid['GPU-two']).toBeGreaterThan(190)
    expect(byUuid['GPU-two']).toBeLessThan(210)
    // each worker saw only its own GPU, as index 0
    for (const x of aggs) expect(x.process_results[0].devices).toHaveLength(1)
    expect(a.shared_energy).toEqual({ components: ['cpu', 'ram'], with_experiments: [b.experiment_name] })
    expect(a.measurement_warnings.join('\n')).toContain('CPU package and RAM energy cannot be split')
  })

  it('--max-parallel 1 runs one at a time: nothing shared', async () => {
    const { aggs } = await run(bench('sweep', "load: { requests: 20 }, sweep: { 'load.seed': [1, 2] }"), ['--max-parallel', '1'])
    const [a, b] = aggs.sort((x, y) => Date.parse(x.start_time) - Date.parse(y.start_time))
    expect(Date.parse(b.start_time)).toBeGreaterThanOrEqual(Date.parse(a.end_time))
    expect(aggs.every((x) => x.shared_energy === null)).toBe(true)
  })

  it('--gpus narrows the slots to the GPUs named', async () => {
    const { aggs } = await run(bench('sweep', "load: { requests: 20 }, sweep: { 'load.seed': [1, 2] }"), ['--gpus', 'GPU-two'])
    expect(aggs.map((x) => x.process_results[0].devices[0].uuid)).toEqual(['GPU-two', 'GPU-two'])
  })

  it('data parallel: requests sharded over two GPUs, one aggregated result from both processes', async () => {
    const { r, aggs } = await run(bench('dp', 'load: { requests: 40 }, parallel: { data: 2 }'))
    expect(r.code, r.stderr).toBe(0)
    const [x] = aggs
    expect(x.aggregation).toMatchObject({ num_processes: 2, gpu_attribution_verified: true })
    // each process records its measured window on the wall clock, inside its session; overlap is judged on those windows
    const windows = x.process_results.map((p: { measured_window: { start_unix_ms: number; end_unix_ms: number }; timestamps: { start: string; end: string } }) => {
      expect(p.measured_window.start_unix_ms).toBeGreaterThanOrEqual(Date.parse(p.timestamps.start))
      expect(p.measured_window.end_unix_ms).toBeLessThanOrEqual(Date.parse(p.timestamps.end) + 1)
      return p.measured_window
    })
    expect(x.aggregation.temporal_overlap_verified).toBe(maxOf(windows.map((w: { start_unix_ms: number }) => w.start_unix_ms)) < minOf(windows.map((w: { end_unix_ms: number }) => w.end_unix_ms)))
    expect(x.process_results.map((p: { process_index: number }) => p.process_index).sort()).toEqual([0, 1])
    expect(x.process_results.map((p: { inference_metrics: { num_requests: number } }) => p.inference_metrics.num_requests)).toEqual([20, 20])
    expect(x.total_output_tokens).toBe(40 * 16)
    // latency statistics from the concatenated samples of both processes
    expect(x.latency_stats.ttft_samples).toBe(40)
    const gpu = x.process_results.reduce((acc: number, p: { energy_metrics: { gpu_energy_j: number } }) => acc + p.energy_metrics.gpu_energy_j, 0)
    const cpus = x.process_results.map((p: { energy_metrics: { cpu_energy_j: number } }) => p.energy_metrics.cpu_energy_j)
    // GPU joules add up (distinct GPUs); host-wide CPU joules are counted once over the union of the two
    // windows: at least the larger reading (the union covers its window), at most both (disjoint windows)
    expect(cpus.every((c: number) => c > 0)).toBe(true)
    const cpu = x.total_energy_j - gpu
    expect(cpu).toBeGreaterThanOrEqual(maxOf(cpus) - 1e-6)
    expect(cpu).toBeLessThanOrEqual(cpus[0] + cpus[1] + 1e-6)
    expect(x.aggregation.warnings.join('\n')).toContain('counted once')
    expect(Object.keys(x.energy_per_device_j).some((k) => k.startsWith('process_1:nvml:GPU-'))).toBe(true)
  })

  it('an experiment needing more GPUs than llem may use fails with the reason, the rest runs', async () => {
    const { r, aggs } = await run(bench('huge', 'gpus: 3, load: { requests: 5 }') + bench('fine', 'load: { requests: 5 }'))
    expect(r.code).toBe(1)
    const huge = aggs.find((x) => x.bench.name === 'huge')
    expect(huge.status).toBe('failed')
    expect(huge.error).toMatchObject({ code: 'NO_SLOT', message: 'needs 1 x 3 GPUs, but llem may use 2' })
    expect(aggs.find((x) => x.bench.name === 'fine').status).toBe('completed')
  })
})
