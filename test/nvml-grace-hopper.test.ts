/**
 * Grace Hopper through the fake NVML emulating a GH200 (device key module_extra_w: module-scope power
 * is the GPU's power plus the Grace CPU and memory's constant draw). The module's energy is the total,
 * the GPU counter its GPU component; neither the CPU estimate nor a RAPL tree's energy is added on top.
 * Expected joules are the trace's watts times the measured seconds.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildFakeNvml, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { createFakePowercap, type FakePowercap } from './fixtures/fake-powercap.js'
import { makeProject, runCli } from './fixtures/project.js'

let lib: string
beforeAll(() => {
  lib = buildFakeNvml('current')
})
let pc: FakePowercap | null = null
afterEach(() => {
  pc?.cleanup()
  pc = null
})

const GPU_W = 300
const GRACE_W = 150
const GH200 = `device uuid=GPU-gh200-0001 name="NVIDIA GH200 480GB" arch=9 period_ms=1 idle_w=90 module_extra_w=${GRACE_W}\npower 0 0 inf ${GPU_W}\n`

const config = (probes: string) => `export default {
  probes: ${probes},
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },
}
`
const BENCH = `import { bench } from 'llem'\nbench('gh200', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 100000, duration: 1.5 } })\n`

async function bench(dir: string, script: string) {
  const r = await runCli(dir, ['bench'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: writeFakeNvmlConfig(script) })
  expect(r.code, r.stderr + r.stdout).toBe(0)
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
  const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
  // the experiment's own total is the process's: the module's, not the sum of the components
  expect(agg.total_energy_j).toBeCloseTo(agg.process_results[0].energy_metrics.total_energy_j, 9)
  return agg.process_results[0]
}

describe('Grace Hopper (fake NVML emulating a GH200)', () => {
  it('the module energy (CPU + GPU + memory) is the total, the GPU counter its GPU component, and no CPU estimate stands in', async () => {
    const raw = await bench(makeProject({ 'llem.config.ts': config('{ rapl: false, jetson: false }'), 'benchmarks/g.bench.ts': BENCH }), GH200)
    const e = raw.energy_metrics
    // module-scope power is integrated between 20 ms samples: a constant trace integrates exactly
    expect(e.total_energy_j / e.duration_sec).toBeGreaterThan((GPU_W + GRACE_W) * 0.995)
    expect(e.total_energy_j / e.duration_sec).toBeLessThan((GPU_W + GRACE_W) * 1.005)
    expect(e.gpu_energy_j / e.duration_sec).toBeGreaterThan(GPU_W * 0.99)
    expect(e.gpu_energy_j / e.duration_sec).toBeLessThan(GPU_W * 1.01)
    expect(e.cpu_energy_j).toBeNull()
    expect(e.component_methods.module).toEqual({ probe: 'nvml', method: 'integrated_power', confidence: 'medium' })
    expect(e.component_methods.gpu).toMatchObject({ probe: 'nvml', method: 'counter' })
    expect(raw.energy_per_device_j['nvml:GPU-gh200-0001/module']).toBeCloseTo(e.total_energy_j, 9)
    expect(raw.environment.unavailable_probes['cpu-estimate']).toBe('not needed: a measuring probe covers CPU energy')
    expect(raw.environment.probes.nvml.gpus[0].module_power_scope).toBe(true)
    expect(raw.measurement_warnings.join('\n')).toContain('is a superchip: NVML\'s module power covers its Grace CPU, GPU and memory')
  })

  it('a CPU probe beside the module is reported but never added on top', async () => {
    pc = createFakePowercap()
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 0 })
    const fake = pc
    // the package counter moves 50 W worth while the bench runs
    let uj = 0
    const timer = setInterval(() => fake.setEnergy('intel-rapl:0', (uj += 500_000)), 10)
    try {
      const raw = await bench(makeProject({ 'llem.config.ts': config(`{ jetson: false, rapl: { root: ${JSON.stringify(pc.root)} } }`), 'benchmarks/g.bench.ts': BENCH }), GH200)
      const e = raw.energy_metrics
      expect(e.cpu_energy_j).toBeGreaterThan(0)
      expect(e.total_energy_j / e.duration_sec).toBeLessThan((GPU_W + GRACE_W) * 1.005)
      expect(e.total_energy_j).toBeCloseTo(raw.energy_per_device_j['nvml:GPU-gh200-0001/module'], 9)
      expect(raw.measurement_warnings.join('\n')).toContain('rapl:package-0 (cpu energy) lies inside the module energy of nvml:GPU-gh200-0001/module')
    } finally {
      clearInterval(timer)
    }
  })

  it('a discrete GPU has no module scope, and llem env shows the GH200 module power', async () => {
    const dir = makeProject({})
    const script = writeFakeNvmlConfig(`${GH200}device uuid=GPU-h100 name="NVIDIA H100 80GB HBM3" arch=9\n`)
    const env = JSON.parse((await runCli(dir, ['env', '--json'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: script })).stdout).probes.nvml
    expect(env.devices[0]).toMatchObject({ name: 'NVIDIA GH200 480GB', module_power_w: GPU_W + GRACE_W })
    expect(env.devices[1]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', module_power_w: null })
  })
})
