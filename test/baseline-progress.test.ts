/**
 * The idle-baseline phase is announced (progress phase `baseline`, which the console shows as measuring
 * the machine at rest for up to N s) only when the machine is measured at rest: the first run in a
 * fresh cache measures it, the second reuses the cached baseline and announces nothing, and the
 * result says which (`baseline_method` fresh, then cached).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PACK = path.join(import.meta.dirname, 'fixtures', 'plugin-pack', 'plugins')
const LOGGER = `import { appendFileSync } from 'node:fs'
export default { onExperimentProgress(_x, p) { if (p.phase === 'baseline') appendFileSync('phases.log', 'baseline\\n') }, onRunEnd() { appendFileSync('phases.log', 'end\\n') } }
`

describe('the baseline phase', () => {
  it('is announced when the baseline is measured, not when the cached one is reused', async () => {
    const dir = makeProject({
      'llem.config.ts': "export default { probes: ['./plugins/scripted-meter.ts'], reporters: ['./logger.js'], measurement: { baseline: { seconds: 0.2, ttlSeconds: 3600 }, warmup: { mode: 'fixed', requests: 0 } } }\n",
      'plugins/scripted-meter.ts': readFileSync(path.join(PACK, 'scripted-meter.ts'), 'utf8'),
      'plugins/scripted-backend.ts': readFileSync(path.join(PACK, 'scripted-backend.ts'), 'utf8'),
      'logger.js': LOGGER,
      'benchmarks/s.bench.ts': "import { bench } from 'llem'\nbench('s', { backend: { name: './plugins/scripted-backend.ts', tokens: 2, gapMs: 2 }, dataset: { prompts: ['one two'] }, probes: { './plugins/scripted-meter.ts': { watts: 10 } } })\n",
    })
    const cache = mkdtempSync(path.join(tmpdir(), 'llem-baseline-cache-'))
    const methods: string[] = []
    for (let i = 0; i < 2; i++) {
      const r = await runCli(dir, ['bench'], { LLEM_CACHE_DIR: cache })
      expect(r.code, r.stderr + r.stdout).toBe(0)
      const root = path.join(dir, 'llem-results')
      const run = readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!
      const [file] = readdirSync(path.join(root, run, 'aggregated'))
      methods.push(JSON.parse(readFileSync(path.join(root, run, 'aggregated', file), 'utf8')).energy_breakdown.baseline_method)
    }
    expect(methods).toEqual(['fresh', 'cached'])
    expect(readFileSync(path.join(dir, 'phases.log'), 'utf8')).toBe('baseline\nend\nend\n')
  }, 60_000)
})
