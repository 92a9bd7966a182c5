/**
 * Data parallel on two Grace Hopper superchips through the real CLI (the fake NVML emulating two GH200s:
 * module-scope power is each GPU's 300 W plus its Grace CPU and memory's 150 W). Each process measures
 * its own GPU's module; the experiment's total is both modules, each over its own process's window:
 * 450 W x each window, added. Before, a module total was never combined across processes.
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

const GPU_W = 300
const GRACE_W = 150
const GH200S = [1, 2].map((n) => `device uuid=GPU-gh200-000${n} name="NVIDIA GH200 480GB" arch=9 period_ms=1 idle_w=90 module_extra_w=${GRACE_W}\npower ${n - 1} 0 inf ${GPU_W}\n`).join('')

const CONFIG = `export default {
  probes: { rapl: false, jetson: false },
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },
}
`
const BENCH = `import { bench } from 'llem'
bench('gh200 x2', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 100000, duration: 1.5 }, parallel: { data: 2 } })
`

describe('data parallel on two Grace Hopper modules', () => {
  it("the total is both modules' energy, each over its own process's window", async () => {
    const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/g.bench.ts': BENCH })
    const r = await runCli(dir, ['bench'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: writeFakeNvmlConfig(GH200S) })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
    const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
    const raws = agg.process_results as { devices: { uuid: string }[]; energy_metrics: { duration_sec: number; total_energy_j: number; total_domains: string[] } }[]
    // one GPU each, and each process's total its own GPU's module
    expect(raws.map((p) => p.devices.map((d) => d.uuid)).sort()).toEqual([['GPU-gh200-0001'], ['GPU-gh200-0002']])
    expect(raws.map((p) => p.energy_metrics.total_domains).sort()).toEqual([['nvml:GPU-gh200-0001/module'], ['nvml:GPU-gh200-0002/module']])
    const truth = raws.reduce((a, p) => a + (GPU_W + GRACE_W) * p.energy_metrics.duration_sec, 0)
    expect(agg.total_energy_j / truth).toBeGreaterThan(0.99)
    expect(agg.total_energy_j / truth).toBeLessThan(1.01)
    expect(agg.aggregation.warnings.join('\n')).not.toMatch(/no total energy/)
  })
})
