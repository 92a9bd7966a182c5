/**
 * A reporter named with --reporter whose options are refused: the message names the command line, where
 * the reporter was asked for, not the config file that never mentioned it (`llem bench` and `llem report`).
 * From the config, the config file is named, as before.
 */
import { describe, expect, it } from 'vitest'
import { writeRunDir } from './fixtures/run-dirs.js'
import { makeProject, runCli } from './fixtures/project.js'

const NEEDS_BUDGET = `import { z } from 'llem/plugin'
export const options = z.object({ budgetJ: z.number() })
export default { name: 'budget', onRunEnd() {} }
`
const BENCH = `import { bench } from 'llem'
bench('b', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })
`

describe("a --reporter's refused options", () => {
  it('name the command line in llem bench and llem report; the config file when the config lists it', async () => {
    const dir = makeProject({ 'llem.config.ts': 'export default { generation: { maxTokens: 4 } }\n', 'reporters/budget.ts': NEEDS_BUDGET, 'benchmarks/b.bench.ts': BENCH })
    const bench = await runCli(dir, ['bench', '--dry-run', '--reporter', './reporters/budget.ts'])
    expect(bench.code, bench.stderr).toBe(2)
    expect(bench.stderr).toMatch(/^llem: command line: reporter "\.\/reporters\/budget\.ts": .*reporters\.0\.1\.budgetJ/m)
    expect(bench.stderr).not.toContain('llem.config.ts')

    const { runDir } = writeRunDir([{ name: 'decode', task_hash: 'aaaa1111bbbb2222', energyJ: 2.56 }])
    const report = await runCli(dir, ['report', runDir, '--reporter', './reporters/budget.ts'])
    expect(report.code, report.stderr).toBe(2)
    expect(report.stderr).toMatch(/^llem: command line: reporter "\.\/reporters\/budget\.ts": .*reporters\.0\.1\.budgetJ/m)

    const configured = makeProject({ 'llem.config.ts': "export default { reporters: ['./reporters/budget.ts'] }\n", 'reporters/budget.ts': NEEDS_BUDGET, 'benchmarks/b.bench.ts': BENCH })
    const fromConfig = await runCli(configured, ['bench', '--dry-run'])
    expect(fromConfig.code, fromConfig.stderr).toBe(2)
    expect(fromConfig.stderr).toMatch(/^llem: llem\.config\.ts: reporter "\.\/reporters\/budget\.ts": .*reporters\.0\.1\.budgetJ/m)
  }, 60_000)
})
