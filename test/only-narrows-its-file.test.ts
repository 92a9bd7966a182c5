/**
 * `.only` narrows the run within the file it is written in, as in Vitest: the other benches of that
 * file are skipped, and every other file runs in full. (Before, one `.only` anywhere skipped every
 * bench of every other file.)
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const HEAD = "import { bench, describe } from 'llem'\nconst o = { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } } as const\n"
const FILES = {
  'package.json': PKG,
  // one bench marked .only among three
  'benchmarks/a.bench.ts': HEAD + "describe('s', o, () => {\n  bench('one')\n  bench.only('two')\n})\nbench('three', o)\n",
  // no .only here: both run, whatever other files mark
  'benchmarks/b.bench.ts': HEAD + "bench('four', o)\nbench('five', o)\n",
  // a suite marked .only: its benches run, the bench outside it does not
  'benchmarks/c.bench.ts': HEAD + "describe.only('t', o, () => {\n  bench('six')\n  bench('seven')\n})\nbench('eight', o)\n",
}

// outside CI, where .only is allowed by default
const NOT_CI = { CI: '' }

describe('.only narrows its own file', () => {
  it('llem list --json: marked benches run in their files, unmarked files run in full', async () => {
    const r = await runCli(makeProject(FILES), ['list', '--json'], NOT_CI)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const modes = Object.fromEntries((JSON.parse(r.stdout).experiments as { name: string; mode: string }[]).map((x) => [x.name, x.mode]))
    expect(modes).toEqual({ 's > one': 'skip', 's > two': 'run', three: 'skip', four: 'run', five: 'run', 't > six': 'run', 't > seven': 'run', eight: 'skip' })
  })

  it('llem bench --dry-run plans the same: 5 to run of 8', async () => {
    const r = await runCli(makeProject(FILES), ['bench', '--dry-run'], NOT_CI)
    expect(r.code).toBe(0)
    const skipped = r.stdout.split('\n').filter((l) => l.includes('(skip)')).map((l) => l.trim().split(' (skip)')[0])
    expect(skipped.sort()).toEqual(['eight', 's > one', 'three'])
    expect(r.stdout).toContain('8 experiments (5 to run)')
  })
})
