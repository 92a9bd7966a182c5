/**
 * A probe plugin whose readEnergy throws a plain Error (not llem's ProbeError) while an experiment
 * runs: the result's failure is the probe's (PROBE_FAILED, naming the probe and its message), not the
 * backend's, which did nothing wrong.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const BACKEND = readFileSync(path.join(import.meta.dirname, 'fixtures', 'plugin-pack', 'plugins', 'scripted-backend.ts'), 'utf8')
// a meter that works for its first reads, then its device goes away
const BREAKING_METER = `import { performance } from 'node:perf_hooks'
export default {
  name: 'breaking-meter',
  async available() { return { available: true, reason: 'there' } },
  async open() {
    const t0 = performance.now()
    let reads = 0
    return {
      probe: 'breaking-meter', method: 'integrated_power', confidence: 'high',
      readEnergy() {
        if (++reads > 2) throw new Error('meter unplugged')
        return [{ domain: 'meter', kind: 'cpu', energy_j: (performance.now() - t0) / 100 }]
      },
      sample: () => ({}), describe: () => ({}), warnings: () => [], close() {},
    }
  },
}
`

describe('a probe plugin throwing a plain Error', () => {
  it('fails the experiment as PROBE_FAILED, naming the probe', async () => {
    const dir = makeProject({
      'llem.config.ts': "export default { probes: ['./plugins/breaking-meter.js'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 } } }\n",
      'plugins/scripted-backend.ts': BACKEND,
      'plugins/breaking-meter.js': BREAKING_METER,
      'benchmarks/s.bench.ts': "import { bench } from 'llem'\nbench('s', { backend: { name: './plugins/scripted-backend.ts', tokens: 3, gapMs: 5 }, dataset: { prompts: ['one two'], repeat: 3 }, generation: { maxTokens: 3 } })\n",
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    const [file] = readdirSync(path.join(run, 'aggregated'))
    const result = JSON.parse(readFileSync(path.join(run, 'aggregated', file), 'utf8'))
    expect(result.status).toBe('failed')
    expect(result.error.code, JSON.stringify(result.error)).toBe('PROBE_FAILED')
    expect(result.error.message).toContain('breaking-meter')
    expect(result.error.message).toContain('meter unplugged')
  }, 60_000)
})
