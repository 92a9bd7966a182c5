/**
 * A record outputFile whose key is a typo of a reporter's (`{ jsn: 'r.json' }`) used to be ignored: the
 * JSON went to its default place and nothing said why. It is bad input, named with a suggestion; keys
 * naming a built-in, a spec as written or a custom reporter's name are accepted, and so is a key close
 * to no reporter of the run (a path or package used on demand with `llem report --reporter`).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const BENCH = `import { bench } from 'llem'
bench('b', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })
`
const NAMED = "export default { name: 'budget', onRunEnd() {} }\n"

describe('outputFile record keys', () => {
  it('a key naming no reporter is refused with the file, the key and the closest name; real names pass', async () => {
    const typo = makeProject({ 'llem.config.ts': "export default { reporters: ['json', './reporters/b.js'], outputFile: { jsn: 'out/r.json' } }\n", 'reporters/b.js': NAMED, 'benchmarks/b.bench.ts': BENCH })
    const r = await runCli(typo, ['bench', '--dry-run'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/^llem: llem\.config\.ts: outputFile\["jsn"\] names no reporter of this run; did you mean "json"\?/m)
    expect(existsSync(path.join(typo, 'llem-results'))).toBe(false)

    const fine = makeProject({ 'llem.config.ts': "export default { reporters: ['json', './reporters/b.js'], outputFile: { json: 'out/r.json', budget: 'out/b.txt', './reporters/b.js': 'out/c.txt', csv: 'out/r.csv' } }\n", 'reporters/b.js': NAMED, 'benchmarks/b.bench.ts': BENCH })
    const ok = await runCli(fine, ['bench', '--dry-run'])
    expect(ok.code, ok.stderr).toBe(0)
    // a key for a reporter used on demand (llem report --reporter ./later.js), like no reporter of this run: left alone
    const onDemand = makeProject({ 'llem.config.ts': "export default { reporters: ['json'], outputFile: { json: 'out/r.json', './later.js': 'out/l.txt', 'my-pkg-reporter': 'out/p.txt' } }\n", 'benchmarks/b.bench.ts': BENCH })
    const later = await runCli(onDemand, ['bench', '--dry-run'])
    expect(later.code, later.stderr).toBe(0)
  }, 60_000)
})
