/**
 * What a sweep or an SLO search cannot run without is refused before anything runs, exit 2, naming the
 * bench's file:line: no load.concurrency (the cap every step needs), a load.rate (the series decides
 * it), an SLO search with no target; and the slurm executor, which submits a fixed set of tasks.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const common = `backend: { name: 'openai', baseURL: 'http://127.0.0.1:9/v1' }, model: 'm', dataset: { prompts: ['a'] }`
const project = (load: string, extra = '', config = 'export default {}\n') =>
  makeProject({ 'llem.config.ts': config, 'benchmarks/s.bench.ts': `import { bench } from 'llem'\nbench('s', { ${common}, ${extra}load: ${load} })\n` })

describe('series bad input', () => {
  it('refuses a series without a cap, with a rate, or a search without a target', async () => {
    const cases: [string, string, RegExp][] = [
      ["{ profile: 'sweep' }", '', /benchmarks\/s\.bench\.ts:2(:\d+)?: bench\("s"\): load\.profile 'sweep' needs load\.concurrency set to at least 2/],
      ["{ profile: 'sweep', concurrency: 8, rate: 5 }", '', /load\.rate is decided by load\.profile 'sweep' at run time: remove it/],
      ["{ profile: 'slo-search', concurrency: 8 }", '', /load\.profile 'slo-search' needs a target to search for: set slo\.ttftMs, slo\.tpotMs or slo\.e2eMs/],
    ]
    for (const [load, extra, message] of cases) {
      const r = await runCli(project(load, extra), ['list'])
      expect(r.code, load).toBe(2)
      expect(r.stderr, load).toMatch(message)
    }
  })

  it('refuses a series on the slurm executor', async () => {
    const r = await runCli(project("{ profile: 'sweep', concurrency: 8 }", '', "export default { executor: 'slurm' }\n"), ['bench'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/load\.profile 'sweep' makes its experiments at run time, .* Run it with executor 'local'/)
  })
})
