/**
 * Faults around a measured window that must cost no measured data and report no false energy, through
 * the real CLI with a probe of the user's own (a plugin module in the project) whose counter is W x the
 * time since it opened: a counter that goes backwards (a reset or wrap the probe did not handle) or
 * reads NaN gives no energy figure (null, with the reason), never a negative or NaN one; a probe whose
 * close() throws at once, as a synchronous close() can, keeps the result it measured; and a timeline
 * file that cannot be written fails that file only: the figures stand, the result and the run's end
 * name the file, and the run exits 1.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

const WATTS = 40

type Fault = 'backwards' | 'nan' | 'close-throws' | 'timeline-blocked'
const meter = (fault: Fault) => `import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { defineProbe } from 'llem/plugin'

export default defineProbe({
  name: 'meter',
  async available() {
    return { available: true, reason: 'scripted' }
  },
  async open() {
    const t0 = performance.now()
    if (${JSON.stringify(fault)} === 'timeline-blocked') {
      // a file where the run's timeseries directory would go: the worker cannot write its timeline
      const run = readdirSync('llem-results').find((d) => !d.startsWith('.'))
      const at = path.join('llem-results', run, 'timeseries')
      if (!existsSync(at)) writeFileSync(at, 'in the way')
    }
    const joules = () => {
      const j = (${WATTS} * (performance.now() - t0)) / 1000
      return ${JSON.stringify(fault)} === 'backwards' ? 1000 - j : ${JSON.stringify(fault)} === 'nan' ? Number.NaN : j
    }
    return {
      probe: 'meter',
      method: 'counter',
      confidence: 'high',
      readEnergy: () => [{ domain: 'meter', kind: 'cpu', energy_j: joules() }],
      sample: () => ({ meter_power_w: ${WATTS} }),
      describe: () => ({ meter: 'scripted' }),
      warnings: () => [],
      close() {
        if (${JSON.stringify(fault)} === 'close-throws') throw new Error('the meter hung up')
      },
    }
  },
})
`

let server: SseServer
beforeAll(async () => {
  server = await startSseServer(() => ({ tokens: 8, gapMs: 5 }))
})
afterAll(() => server?.close())

async function run(fault: Fault) {
  const dir = makeProject({
    'llem.config.ts': `export default {
  probes: ['./plugins/meter.ts'],
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },
}
`,
    'plugins/meter.ts': meter(fault),
    'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('one', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ['a', 'b', 'c', 'd'] }, load: { requests: 1000000, duration: 0.5 } })\n`,
  })
  const r = await runCli(dir, ['bench'])
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
  const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
  return { r, agg, raw: agg.process_results[0], runDir }
}

describe('probe and file faults around a measured window', () => {
  for (const [fault, why] of [
    ['backwards', /meter:meter: its cumulative energy went down by \d/],
    ['nan', /meter:meter: its energy reading is not a number/],
  ] as const) {
    it(`a counter that ${fault === 'nan' ? 'reads NaN' : 'goes backwards'}: no energy figure, the reason given; the inference figures stand`, async () => {
      const { r, agg, raw } = await run(fault)
      expect(r.code, r.stderr + r.stdout).toBe(0)
      expect(agg.status).toBe('completed')
      expect(raw.inference_metrics.num_requests).toBeGreaterThan(0)
      expect(raw.energy_metrics.total_energy_j).toBeNull()
      expect(raw.energy_metrics.cpu_energy_j).toBeNull()
      expect(agg.total_energy_j).toBeNull()
      expect(agg.avg_energy_per_token_j).toBeNull()
      expect(raw.measurement_warnings.join('\n')).toMatch(why)
    }, 60_000)
  }

  it('a probe whose close() throws at once: the measured result stands, the failure logged', async () => {
    const { r, agg, raw, runDir } = await run('close-throws')
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(agg.status).toBe('completed')
    expect(raw.inference_metrics.num_requests).toBeGreaterThan(0)
    // W x the window
    expect(Math.abs(raw.energy_metrics.total_energy_j / raw.energy_metrics.duration_sec / WATTS - 1)).toBeLessThan(0.01)
    expect(readFileSync(path.join(runDir, raw.log_path), 'utf8')).toContain('probe meter close failed: the meter hung up')
  }, 60_000)

  it('a timeline file that cannot be written: the figures stand, the file is named, exit 1', async () => {
    const { r, agg, raw, runDir } = await run('timeline-blocked')
    expect(r.code, r.stderr + r.stdout).toBe(1)
    expect(agg.status).toBe('completed')
    expect(raw.inference_metrics.num_requests).toBeGreaterThan(0)
    expect(Math.abs(raw.energy_metrics.total_energy_j / raw.energy_metrics.duration_sec / WATTS - 1)).toBeLessThan(0.01)
    expect(raw.timeseries_path).toBeNull()
    expect(raw.measurement_warnings.join('\n')).toMatch(/the power timeline file could not be written: cannot write .*timeseries/)
    const file = path.join(runDir, 'timeseries', `${agg.experiment_id}.csv`)
    expect(r.stderr).toContain('1 file(s) could not be written')
    expect(r.stderr).toContain(`  ${file}: the power timeline file could not be written`)
  }, 60_000)
})
