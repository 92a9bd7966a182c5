/**
 * A probe whose fresh reads are slow (a meter behind a 20 ms round trip, or a driver call that stalls),
 * through the real CLI: the result says how long the window's edge reads took
 * (measurement_methodology.edge_read_ms), warns that the edges' moments are that vague, and counts it in
 * the energy uncertainty; the energy is still the meter's watts x the window. The meter is a probe of the
 * user's own (a plugin module in the project) whose counter is watts x the time since it opened, read at
 * the end of each 20 ms stall; a quick meter beside it, in a second project, shows none of it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const WATTS = 50
const STALL_MS = 20

const meter = (stallMs: number) => `import { performance } from 'node:perf_hooks'
import { defineProbe } from 'llem/plugin'

export default defineProbe({
  name: 'slow-meter',
  async available() {
    return { available: true, reason: 'scripted' }
  },
  async open() {
    const t0 = performance.now()
    return {
      probe: 'slow-meter',
      method: 'counter',
      confidence: 'high',
      readEnergy(opts) {
        // a fresh read (the window's edges) waits for its answer; the counter is read when it comes
        if (opts?.fresh) for (const until = performance.now() + ${stallMs}; performance.now() < until; );
        return [{ domain: 'meter', kind: 'cpu', energy_j: (${WATTS} * (performance.now() - t0)) / 1000 }]
      },
      sample: () => ({ meter_power_w: ${WATTS} }),
      describe: () => ({ meter: 'scripted' }),
      warnings: () => [],
      errorModel: () => ({ method: 'counter', accuracy: { absolute_w: 0, relative: 0, source: 'scripted' }, resolution_j: 1e-6, update_period_ms: 0.001, edge_power_from_timeline: false }),
      close() {},
    }
  },
})
`

async function run(stallMs: number) {
  const dir = makeProject({
    'llem.config.ts': `export default {
  probes: ['./plugins/slow-meter.ts'],
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
}
`,
    'plugins/slow-meter.ts': meter(stallMs),
    'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 1000000, duration: 1 } })\n",
  })
  const r = await runCli(dir, ['bench'])
  expect(r.code, r.stderr + r.stdout).toBe(0)
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
  const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
  return agg.process_results[0]
}

describe('slow energy reads at the window edges', () => {
  it('are stated, warned of and counted in the uncertainty; the energy stays watts x the window', async () => {
    const raw = await run(STALL_MS)
    const e = raw.energy_metrics
    expect(e.probes).toEqual(['slow-meter'])
    const [start, end] = raw.measurement_methodology.edge_read_ms
    expect(start).toBeGreaterThanOrEqual(STALL_MS)
    expect(end).toBeGreaterThanOrEqual(STALL_MS)
    const warning = raw.measurement_warnings.find((w: string) => w.startsWith("the energy reads at the window's start took"))
    expect(warning, raw.measurement_warnings.join('\n')).toMatch(/took \d+\.\d ms .*dated to their middle, so its moment is known to ±\d+\.\d ms/)
    expect(raw.measurement_warnings.some((w: string) => w.startsWith("the energy reads at the window's end took"))).toBe(true)
    // the energy is the meter's counter difference, the window runs between the middles of the edge
    // reads' spans (what they are dated to). Each counter value was taken at least STALL_MS into its
    // span and no later than its end, so it lies within [STALL_MS - span / 2, span / 2] of that middle,
    // whatever the scheduler did: the energy may differ from watts x the window by at most watts x
    // ((start + end) / 2 - STALL_MS). With no preemption both reads sit 10 ms after their middles, the
    // shifts cancel and that is a fraction of a millisecond; a read kept off its core for longer (the
    // 20 ms busy spin preempted) widens the bound by exactly what it can shift that edge
    const slackMs = Math.max(0, (start + end) / 2 - STALL_MS) + 0.05
    expect(Math.abs(e.total_energy_j - WATTS * e.duration_sec)).toBeLessThanOrEqual((WATTS * slackMs) / 1000)
    const range = (ms: number) => (WATTS * ms) / 2 / 1000
    expect(e.total_energy_uncertainty_j).toBeGreaterThan(0.9 * Math.max(range(start), range(end)))
    expect(e.total_energy_uncertainty_j).toBeLessThanOrEqual(range(start) + range(end))
  })

  it('a quick meter: edge reads of well under a millisecond, no warning, an interval to match', async () => {
    const raw = await run(0)
    const [start, end] = raw.measurement_methodology.edge_read_ms
    expect(start).toBeLessThan(STALL_MS / 4)
    expect(end).toBeLessThan(STALL_MS / 4)
    expect(raw.measurement_warnings.filter((w: string) => w.startsWith('the energy reads at the window'))).toEqual([])
    expect(raw.energy_metrics.total_energy_uncertainty_j).toBeLessThan(0.5)
  })
})
