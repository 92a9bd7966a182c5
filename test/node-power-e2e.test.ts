/**
 * Whole-node power end to end through the real CLI: `llem bench` on a real llama.cpp experiment with a
 * fake RAPL tree (the components: a 20 W package) beside a scripted Redfish BMC (the node: 150 W) or a
 * stand-in ipmitool. The node's energy is reported beside the components' sum, with the rest of the
 * node and the BMC's intervals; a node reading below the components is warned about; `llem env`
 * lists both probes; and the BMC password appears in no file the run wrote, while the variable names do.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createFakeIpmitool } from './fixtures/fake-ipmitool.js'
import { createFakePowercap } from './fixtures/fake-powercap.js'
import { IDLE_PROC_STAT } from './fixtures/idle-host.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'
import { startRedfishServer } from './fixtures/redfish-server.js'
import { requireTool } from './fixtures/required-tool.js'

const ok = requireTool('node-power-e2e', (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})(), 'openssl is not installed', 'apt-get install openssl')

const SECRET = 'e2e-bmc-password-7f3a'
const fake = createFakePowercap()
fake.addZone('intel-rapl:0', { name: 'package-0', energyUj: 1_000_000 })
const ipmitool = createFakeIpmitool()
afterAll(() => {
  fake.cleanup()
  ipmitool.cleanup()
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

/** runs one bench with the given probes; the package counter advances at 20 W meanwhile */
async function bench(probes: string, env: Record<string, string> = {}) {
  const t0 = Date.now()
  const timer = setInterval(() => fake.setEnergy('intel-rapl:0', Math.round(1_000_000 + 20e6 * ((Date.now() - t0) / 1000))), 5)
  const dir = makeProject({
    'llem.config.ts': QUICK_CONFIG.replace('export default {', `export default {\n  probes: { nvml: false, 'cpu-estimate': false, rapl: { root: ${JSON.stringify(fake.root)}, procStat: ${JSON.stringify(IDLE_PROC_STAT)} }, ${probes} },`),
    'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 1000000, duration: 2 } })\n",
  })
  // a cache of its own: the baseline it takes from the fake RAPL must not be reused by another test's
  // run under this host's key
  const r = await runCli(dir, ['bench'], { LLEM_CACHE_DIR: path.join(dir, '.llem-cache'), ...env })
  clearInterval(timer)
  expect(r.code, r.stderr).toBe(0)
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
  const aggDir = path.join(runDir, 'aggregated')
  const agg = JSON.parse(readFileSync(path.join(aggDir, readdirSync(aggDir)[0]), 'utf8'))
  return { dir, runDir, result: agg.process_results[0], stdout: r.stdout }
}

describe.skipIf(!ok)('whole-node power end to end', () => {
  it('redfish: node energy beside the components, the rest of the node, no password in any file', async () => {
    const bmc = await startRedfishServer({ steps: [{ at: 0, w: 150 }], energy: 'joules', user: 'llem', password: SECRET })
    try {
      const { dir, runDir, result } = await bench(`redfish: { url: ${JSON.stringify(bmc.url)}, caFile: ${JSON.stringify(bmc.certFile)}, userEnv: 'E2E_BMC_USER', passwordEnv: 'E2E_BMC_PASS', intervalMs: 200 }`, { E2E_BMC_USER: 'llem', E2E_BMC_PASS: SECRET })
      const e = result.energy_metrics
      const w = result.measured_window
      const truth = bmc.truthJ(w.start_unix_ms, w.end_unix_ms)
      expect(e.node.probe).toBe('redfish')
      expect(e.node.method).toBe('counter')
      // constant 150 W: the counter's edges are dated to within a round trip (50 ms allowed)
      expect(Math.abs(e.node.energy_j - truth)).toBeLessThan(150 * 0.05 + 0.01 * truth)
      expect(e.node.power_w).toBeGreaterThan(145)
      expect(e.node.power_w).toBeLessThan(155)
      // the components are the 20 W package alone; the node's rest is what RAPL does not see
      expect(e.total_energy_j / e.duration_sec).toBeGreaterThan(17)
      expect(e.node.components_energy_j).toBe(e.total_energy_j)
      expect(e.node.rest_of_node_energy_j).toBeCloseTo(e.node.energy_j - e.total_energy_j, 6)
      expect(e.node.polling_interval_ms).toBe(200)
      expect(e.node.bmc_sensing_interval_ms).toBe(100)
      expect(e.probes).toEqual(['rapl'])
      expect(result.environment.probes.redfish.login_from_env).toEqual({ userEnv: 'E2E_BMC_USER', passwordEnv: 'E2E_BMC_PASS' })
      expect(result.environment.probes.redfish.certificate_check).toMatch(/^on, CA /)
      const written = [...filesUnder(runDir), ...filesUnder(path.join(dir, 'llem-results'))]
      for (const f of written) expect(readFileSync(f, 'utf8').includes(SECRET), f).toBe(false)
      expect(readFileSync(path.join(runDir, result.timeseries_path), 'utf8').split('\n')[0]).toContain('redfish_node_power_w')
    } finally {
      await bmc.close()
    }
  })

  it('ipmi: a node reading below the components is warned about, the rest of the node is negative', async () => {
    ipmitool.setWatts(5)
    const { result } = await bench(`ipmi: { command: ${JSON.stringify(ipmitool.command)}, intervalMs: 200 }`)
    const e = result.energy_metrics
    expect(e.node.probe).toBe('ipmi')
    expect(e.node.method).toBe('integrated_power')
    expect(e.node.power_w).toBeCloseTo(5, 0)
    expect(e.node.rest_of_node_energy_j).toBeLessThan(0)
    expect(e.node.bmc_averaging_interval_sec).toBe(1)
    expect(result.measurement_warnings.join('\n')).toMatch(/the measured components \([\d.]+ J\) exceed the node's own reading \([\d.]+ J, ipmi\)/)
  })

  it('llem env lists both probes, and why one is unavailable', async () => {
    const dir = makeProject({ 'llem.config.ts': `export default { probes: { ipmi: { command: ${JSON.stringify(ipmitool.command)} }, redfish: { url: 'https://127.0.0.1:1' } } }\n` })
    const r = await runCli(dir, ['env', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const probes = JSON.parse(r.stdout).probes
    expect(probes.ipmi).toEqual({ available: true, reason: expect.stringMatching(/^local BMC: DCMI power reading \d+ W/) })
    expect(probes.redfish.available).toBe(false)
    expect(probes.redfish.reason).toMatch(/LLEM_REDFISH_USER and LLEM_REDFISH_PASSWORD are not set/)
  })
})
