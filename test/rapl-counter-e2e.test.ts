/**
 * When a RAPL counter is readable, llem measures with it (method counter, confidence high) and the
 * labelled estimate is not used. The powercap tree is a fake whose package counter this test advances
 * at a known 20 W (DRAM 2 W) while the real CLI runs a real llama.cpp experiment.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createFakePowercap } from './fixtures/fake-powercap.js'
import { IDLE_PROC_STAT } from './fixtures/idle-host.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const fake = createFakePowercap()
afterAll(() => fake.cleanup())

describe('RAPL counters end to end', () => {
  it('energy comes from the counter, per domain, and matches the power it was driven at', async () => {
    fake.addZone('intel-rapl:0', { name: 'package-0', energyUj: 1_000_000 })
    fake.addZone('intel-rapl:0:0', { name: 'core', energyUj: 500_000 })
    fake.addZone('intel-rapl:0:1', { name: 'dram', energyUj: 100_000 })
    const t0 = Date.now()
    const timer = setInterval(() => {
      const s = (Date.now() - t0) / 1000
      fake.setEnergy('intel-rapl:0', Math.round(1_000_000 + 20e6 * s))
      fake.setEnergy('intel-rapl:0:0', Math.round(500_000 + 12e6 * s))
      fake.setEnergy('intel-rapl:0:1', Math.round(100_000 + 2e6 * s))
    }, 5)
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG.replace('export default {', `export default {\n  probes: { nvml: false, rapl: { root: ${JSON.stringify(fake.root)}, procStat: ${JSON.stringify(IDLE_PROC_STAT)} }, 'cpu-estimate': {} },`),
      'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 1000000, duration: 1 } })\n",
    })
    const r = await runCli(dir, ['bench'])
    clearInterval(timer)
    expect(r.code, r.stderr).toBe(0)
    const run = readdirSync(path.join(dir, 'llem-results'))[0]
    const agg = JSON.parse(readFileSync(path.join(dir, 'llem-results', run, 'aggregated', readdirSync(path.join(dir, 'llem-results', run, 'aggregated'))[0]), 'utf8'))
    const energy = agg.process_results[0].energy_metrics
    expect(energy.method).toBe('counter')
    expect(energy.confidence).toBe('high')
    expect(energy.probes).toEqual(['rapl'])
    expect(agg.measurement_methodology.unavailable_probes['cpu-estimate']).toMatch(/not needed/)
    // 20 W package + 2 W DRAM over a 1 s window (duration-based: set by the test, not the machine's speed);
    // the fake advances in 5 ms steps, so allow some slack
    const seconds = energy.duration_sec
    expect(energy.cpu_energy_j / seconds).toBeGreaterThan(17)
    expect(energy.cpu_energy_j / seconds).toBeLessThan(23)
    expect(energy.ram_energy_j / seconds).toBeGreaterThan(1.5)
    expect(energy.ram_energy_j / seconds).toBeLessThan(2.5)
    expect(energy.total_energy_j).toBeCloseTo(energy.cpu_energy_j + energy.ram_energy_j, 6)
    // the core sub-domain is reported per device but not added to the total
    expect(agg.energy_per_device_j['rapl:package-0/core']).toBeGreaterThan(0)
    // the baseline (idle host CPUs: a fixed /proc/stat) saw the same 22 W, so adjusted energy is near zero
    expect(agg.energy_breakdown.baseline_method).toMatch(/fresh|cached/)
    expect(Math.abs(agg.energy_breakdown.adjusted_j)).toBeLessThan(0.25 * energy.total_energy_j)
  })
})
