/**
 * The jetson probe end to end through the real CLI (`llem bench`, `llem env`) on the fake sysfs trees
 * of two boards, with the workload real llama.cpp on the CPU. Expected energies are the rails' watts
 * the fake's files say times the measured window.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeJetson, type FakeJetson } from './fixtures/fake-jetson.js'
import { makeProject, runCli } from './fixtures/project.js'

let fake: FakeJetson | null = null
afterEach(() => {
  fake?.cleanup()
  fake = null
})

const project = (root: string) =>
  makeProject({
    'llem.config.ts': `export default {
  probes: { nvml: false, rapl: false, jetson: { root: ${JSON.stringify(root)} } },
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },
}
`,
    'benchmarks/j.bench.ts': `import { bench } from 'llem'\nbench('jetson', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 100000, duration: 1 } })\n`,
  })

async function bench(dir: string) {
  const r = await runCli(dir, ['bench'])
  expect(r.code, r.stderr + r.stdout).toBe(0)
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
  const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
  // the experiment's own total is the process's: the module's, not the sum of the components
  expect(agg.total_energy_j).toBeCloseTo(agg.process_results[0].energy_metrics.total_energy_j, 9)
  return agg.process_results[0]
}

/**
 * within 0.1%: the window's edges are stamped a little apart from the probe's own reads (tens of
 * microseconds idle, over 100 µs on a loaded machine, of a window near 1 s). The rails' watts differ
 * from each other by far more than that, so a wrong rail or a wrong sum still fails.
 */
const near = (got: number, want: number) => expect(Math.abs(got / want - 1)).toBeLessThan(1e-3)
const JETSON = { probe: 'jetson', method: 'integrated_power', confidence: 'medium' }

describe('jetson probe end to end (fake sysfs)', () => {
  it('TX2: the module energy (VDD_IN) is the total; GPU, CPU and DDR rails are its components', async () => {
    fake = createFakeJetson('tx2')
    const w = { in: fake.setPower('VDD_IN', 9.2), gpu: fake.setPower('VDD_SYS_GPU', 3.1), cpu: fake.setPower('VDD_SYS_CPU', 1.5), ddr: fake.setPower('VDD_SYS_DDR', 0.8) }
    const raw = await bench(project(fake.root))
    const e = raw.energy_metrics
    const s = e.duration_sec
    near(e.total_energy_j / s, w.in)
    near(e.gpu_energy_j / s, w.gpu)
    near(e.cpu_energy_j / s, w.cpu)
    near(e.ram_energy_j / s, w.ddr)
    expect(e.component_methods).toEqual({ module: JETSON, gpu: JETSON, cpu: JETSON, ram: JETSON })
    expect(e.method).toBe('integrated_power')
    // the module holds the CPU: no estimate stands in beside it
    expect(raw.environment.unavailable_probes['cpu-estimate']).toBe('not needed: a measuring probe covers CPU energy')
    expect(raw.energy_per_device_j['jetson:VDD_IN']).toBeCloseTo(e.total_energy_j, 9)
    near(raw.energy_per_device_j['jetson:VDD_MUX'] / s, 1) // the carrier board (1 W, the fake's default), beside the module
    expect(raw.environment.probes.jetson.module).toMatchObject({ domain: 'VDD_IN', how: 'rail' })
  })

  it('AGX Orin: the module is the sum of its three module rails; llem env lists the rails', async () => {
    fake = createFakeJetson('agx-orin')
    const gpu = fake.setPower('VDD_GPU_SOC', 18)
    const cpu = fake.setPower('VDD_CPU_CV', 5.5)
    const sys = fake.setPower('VIN_SYS_5V0', 4.2)
    fake.setPower('VDDQ_VDD2_1V8AO', 1.1)
    const dir = project(fake.root)
    const raw = await bench(dir)
    const e = raw.energy_metrics
    near(e.total_energy_j / e.duration_sec, gpu + cpu + sys)
    near(e.gpu_energy_j / e.duration_sec, gpu)
    near(e.cpu_energy_j / e.duration_sec, cpu)
    expect(e.ram_energy_j).toBeNull() // VDDQ_VDD2_1V8AO is not one of the module's rails

    const env = JSON.parse((await runCli(dir, ['env', '--json'])).stdout).probes.jetson
    expect(env.available).toBe(true)
    expect(env.reason).toBe('INA3221 rails VDD_GPU_SOC, VDD_CPU_CV, VIN_SYS_5V0, VDDQ_VDD2_1V8AO; module = Jetson AGX Orin: sum of VDD_GPU_SOC + VDD_CPU_CV + VIN_SYS_5V0')
    expect(env.devices.map((d: { rail: string; sensor: string; layout: string }) => [d.rail, d.sensor, d.layout])).toEqual([
      ['VDD_GPU_SOC', '1-0040', 'hwmon'], ['VDD_CPU_CV', '1-0040', 'hwmon'], ['VIN_SYS_5V0', '1-0040', 'hwmon'], ['VDDQ_VDD2_1V8AO', '1-0041', 'hwmon'],
    ])
  })

  it('llem env says why there is no Jetson', async () => {
    const dir = project('/nonexistent/i2c')
    const env = JSON.parse((await runCli(dir, ['env', '--json'])).stdout).probes.jetson
    expect(env).toEqual({ available: false, reason: 'no INA3221 power monitor under /nonexistent/i2c/ina3221 or /nonexistent/i2c/ina3221x (not a Jetson, or one without monitors such as the Nano 2GB)' })
  })
})
