/**
 * GPU utilisation in the results, through the real CLI and the fake NVML: the SM utilisation and the
 * memory utilisation NVML reports (nvmlDeviceGetUtilizationRates: the share of the sample period the
 * kernels ran, and the share device memory was read or written), averaged over the measured window's
 * samples and over the experiment's GPUs. The fake's two GPUs report 80% / 35% and 60% / 55% for the
 * whole run, so the window's means are (80 + 60) / 2 and (35 + 55) / 2.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildFakeNvml, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { makeProject, runCli } from './fixtures/project.js'

let lib: string
beforeAll(() => {
  lib = buildFakeNvml('current')
})

const GPUS = `device uuid=GPU-u1 name="NVIDIA H100 80GB HBM3" arch=9 period_ms=5 idle_w=70
device uuid=GPU-u2 name="NVIDIA H100 80GB HBM3" arch=9 period_ms=5 idle_w=70
power 0 0 inf 300
power 1 0 inf 250
util 0 0 inf 80 35
util 1 0 inf 60 55
`
const CONFIG = `export default {
  devices: [],
  probes: ['nvml'],
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },
}
`
const BENCH = "import { bench } from 'llem'\nbench('util', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 100000, duration: 1 } })\n"

describe('GPU utilisation', () => {
  it("the window's mean SM and memory utilisation over the GPUs' samples, as NVML reports them", async () => {
    const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/u.bench.ts': BENCH })
    const r = await runCli(dir, ['bench'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: writeFakeNvmlConfig(GPUS) })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
    const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
    const raw = agg.process_results[0]
    expect(raw.devices.map((d: { uuid: string }) => d.uuid).sort()).toEqual(['GPU-u1', 'GPU-u2'])
    expect(raw.extended_metrics.gpu_utilisation.sm_utilisation_mean).toBeCloseTo(70, 9)
    expect(raw.extended_metrics.gpu_utilisation.memory_bandwidth_utilisation).toBeCloseTo(45, 9)
    expect(agg.extended_metrics.gpu_utilisation.memory_bandwidth_utilisation).toBeCloseTo(45, 9)
  })
})
