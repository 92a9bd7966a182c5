/**
 * --shard i/n keeps a share of the planned experiments so n CI jobs split one plan: the shards are
 * disjoint, together they are the whole plan, an experiment's repeats stay in one shard, the split is
 * the same wherever the project is checked out, and the work to run is spread evenly (sizes differ by
 * at most one experiment). Bad values are exit 2; a shard left with nothing says so.
 */
import { cpSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { maxOf, minOf } from '../core/stats/extent.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const HEAD = "import { bench, describe } from 'llem'\nconst o = { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } } as const\n"
// 7 experiments to run once each is declared (a: 1 + a sweep of 3; b: 2 benches; c: 1), and one,
// 'r', with 3 repeats: 8 units, 10 experiments to run; plus one skipped bench
const FILES = {
  'package.json': PKG,
  'benchmarks/a.bench.ts': HEAD + "bench('plain', o)\nbench('swept', { ...o, sweep: { 'load.concurrency': [1, 2, 4] } })\n",
  'benchmarks/b.bench.ts': HEAD + "describe('s', o, () => {\n  bench('x')\n  bench('y')\n})\nbench.skip('skipped', o)\n",
  'benchmarks/c.bench.ts': HEAD + "bench('z', o)\nbench('r', { ...o, repeat: 3 })\n",
}

interface Listed {
  shard: { index: number; count: number; planned: number } | null
  experiments: { id: string; name: string; mode: string; bench: { full_name: string } }[]
}

const list = async (dir: string, extra: string[] = []): Promise<Listed> => {
  const r = await runCli(dir, ['list', '--json', ...extra])
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return JSON.parse(r.stdout) as Listed
}

describe('--shard', () => {
  it('shards 1..3 are disjoint, their union is the whole plan, repeats stay together, sizes balanced', async () => {
    const dir = makeProject(FILES)
    const [full, ...shards] = await Promise.all([list(dir), list(dir, ['--shard', '1/3']), list(dir, ['--shard', '2/3']), list(dir, ['--shard', '3/3'])])
    // the plan as declared: 10 experiments to run and 1 skipped
    expect(full.experiments.filter((x) => x.mode === 'run')).toHaveLength(10)
    expect(full.experiments).toHaveLength(11)
    const ids = shards.map((s) => s.experiments.map((x) => x.id))
    const all = ids.flat()
    expect(new Set(all).size).toBe(all.length)
    expect(all.sort()).toEqual(full.experiments.map((x) => x.id).sort())
    shards.forEach((s, i) => expect(s.shard).toEqual({ index: i + 1, count: 3, planned: 11 }))
    // the 3 repeats of 'r' are in one shard
    expect(shards.filter((s) => s.experiments.some((x) => x.bench.full_name === 'r')).map((s) => s.experiments.filter((x) => x.bench.full_name === 'r').length)).toEqual([3])
    // 8 units to run over 3 shards: 2 or 3 each, never an empty shard beside a full one
    const units = shards.map((s) => new Set(s.experiments.filter((x) => x.mode === 'run').map((x) => x.name.replace(/ #\d+$/, ''))).size)
    expect(units.reduce((a, b) => a + b)).toBe(8)
    expect(maxOf(units) - minOf(units)).toBeLessThanOrEqual(1)
  })

  it('the same split in another checkout of the project (another folder, as on another CI machine)', async () => {
    const dir = makeProject(FILES)
    const other = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-shard-other-')), 'elsewhere')
    cpSync(dir, other, { recursive: true })
    const [here, there] = await Promise.all([list(dir, ['--shard', '2/3']), list(other, ['--shard', '2/3'])])
    expect(here.experiments.length).toBeGreaterThan(0)
    expect(there.experiments.map((x) => x.name)).toEqual(here.experiments.map((x) => x.name))
  })

  it('--dry-run prints only the shard, and says which shard of how many experiments', async () => {
    const dir = makeProject(FILES)
    const [dry, listed] = await Promise.all([runCli(dir, ['bench', '--dry-run', '--shard', '1/3']), list(dir, ['--shard', '1/3'])])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('shard 1/3 (of 11 planned experiments)')
    const printed = dry.stdout.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s{2,}/)[0].replace(/ \(skip\)$/, ''))
    expect(printed.sort()).toEqual(listed.experiments.map((x) => x.name).sort())
  })

  it('bad values are exit 2 naming the flag', async () => {
    const dir = makeProject(FILES)
    const runs = await Promise.all(['0/3', '4/3', 'a/b', '3', '1/0'].map((v) => runCli(dir, ['list', '--shard', v])))
    for (const r of runs) {
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^llem: command line: --shard .*<index>\/<count>/)
    }
    expect(runs[1].stderr).toContain('between 1 and 3')
  })

  it('more shards than experiments: an empty shard is exit 1 with a message, 0 with --passWithNoTests', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/one.bench.ts': HEAD + "bench('only-one', o)\n" })
    // one experiment, two shards: one of them is empty
    const listed = await Promise.all([list(dir, ['--shard', '1/2']), list(dir, ['--shard', '2/2'])])
    expect(listed.map((l) => l.experiments.length).sort()).toEqual([0, 1])
    const emptyShard = `${listed.findIndex((l) => l.experiments.length === 0) + 1}/2`
    const [empty, passing] = await Promise.all([runCli(dir, ['bench', '--shard', emptyShard]), runCli(dir, ['bench', '--shard', emptyShard, '--passWithNoTests'])])
    expect(empty.code).toBe(1)
    expect(empty.stderr).toContain(`shard ${emptyShard} has none of the 1 planned experiment`)
    expect(passing.code).toBe(0)
    expect(passing.stderr).toContain(`shard ${emptyShard} has none of the 1 planned experiment`)
  })
})
