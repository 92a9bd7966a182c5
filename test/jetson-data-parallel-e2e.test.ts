/**
 * Data parallel on one Jetson through the real CLI (the fake TX2 sysfs, module input rail VDD_IN at
 * 9.2 W). Both processes read the same board's module: it is one meter, counted once over the union of
 * their windows (here they overlap for most of their length), not once per process, which would nearly
 * double it: 9.2 W x the union. Before, a module total was never combined across processes.
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

describe('data parallel on one Jetson', () => {
  it('its module counts once over the union of the processes\' windows', async () => {
    fake = createFakeJetson('tx2')
    const watts = fake.setPower('VDD_IN', 9.2)
    fake.setPower('VDD_SYS_GPU', 3.1)
    const dir = makeProject({
      'llem.config.ts': `export default {
  probes: { nvml: false, rapl: false, jetson: { root: ${JSON.stringify(fake.root)} } },
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },
}
`,
      'benchmarks/j.bench.ts': `import { bench } from 'llem'\nbench('jetson x2', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 100000, duration: 0.8 }, parallel: { data: 2 } })\n`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
    const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
    type Raw = { energy_metrics: { total_domains: string[] }; measured_window: { start_unix_ms: number; end_unix_ms: number } }
    const raws: Raw[] = agg.process_results
    expect(raws).toHaveLength(2)
    for (const p of raws) expect(p.energy_metrics.total_domains).toEqual(['jetson:VDD_IN'])
    const [a, b] = raws.map((p) => p.measured_window)
    const overlapMs = Math.max(0, Math.min(a.end_unix_ms, b.end_unix_ms) - Math.max(a.start_unix_ms, b.start_unix_ms))
    const unionSec = (a.end_unix_ms - a.start_unix_ms + (b.end_unix_ms - b.start_unix_ms) - overlapMs) / 1000
    expect(Math.abs(agg.total_energy_j / (watts * unionSec) - 1)).toBeLessThan(0.01)
    expect(agg.aggregation.warnings.join('\n')).not.toMatch(/no total energy/)
  })
})
