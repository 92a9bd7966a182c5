/**
 * Under CI, `.only` is refused unless allowed (Vitest's allowOnly): a `.only` forgotten in a commit
 * would otherwise make the CI job measure only the marked benches of that file and still pass. The
 * message names each `.only` by file and line. Allowed by --allowOnly, config `allowOnly: true` or
 * LLEM_ALLOW_ONLY=true; outside CI allowed unless the config says `allowOnly: false`.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const HEAD = "import { bench, describe } from 'llem'\nconst o = { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } } as const\n"
const A = HEAD + "bench('one', o)\nbench.only('two', o)\n"
const C = HEAD + "describe.only('suite', o, () => {\n  bench('three')\n})\n"
const D = "import { defineBench } from 'llem'\nexport default defineBench([{ name: 'four', backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] }, only: true }])\n"

/** the 1-based line of the first line holding `text`, read from the fixture as written */
const lineOf = (source: string, text: string) => source.split('\n').findIndex((l) => l.includes(text)) + 1

const project = (extra: Record<string, string> = {}) => makeProject({ 'package.json': PKG, 'benchmarks/a.bench.ts': A, 'benchmarks/c.bench.ts': C, 'benchmarks/d.bench.ts': D, ...extra })

describe('.only under CI', () => {
  it('CI=true: exit 2 naming every .only by file and line, and how to allow it; nothing runs', async () => {
    const dir = project()
    const r = await runCli(dir, ['bench'], { CI: 'true' })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`benchmarks/a.bench.ts:${lineOf(A, "bench.only('two'")}: bench.only("two")`)
    expect(r.stderr).toContain(`benchmarks/c.bench.ts:${lineOf(C, "describe.only('suite'")}: describe.only("suite")`)
    expect(r.stderr).toMatch(/benchmarks\/d\.bench\.ts.*"four".*only: true/)
    expect(r.stderr).toContain('remove the .only, or pass --allowOnly')
    // refused before a run directory was made
    expect(existsSync(path.join(dir, 'llem-results'))).toBe(false)
  })

  it('llem list and --dry-run refuse it too, so a CI check step catches it', async () => {
    const dir = project()
    const [list, dry] = await Promise.all([runCli(dir, ['list'], { CI: '1' }), runCli(dir, ['bench', '--dry-run'], { CI: 'github' })])
    expect(list.code).toBe(2)
    expect(list.stderr).toContain('bench.only("two")')
    expect(dry.code).toBe(2)
    expect(dry.stderr).toContain('describe.only("suite")')
  })

  it('--allowOnly, config allowOnly: true and LLEM_ALLOW_ONLY=true let it narrow the run', async () => {
    const dir = project()
    const withConfig = project({ 'llem.config.json': '{ "allowOnly": true }\n' })
    const runs = await Promise.all([
      runCli(dir, ['list', '--json', '--allowOnly'], { CI: 'true' }),
      runCli(withConfig, ['list', '--json'], { CI: 'true' }),
      runCli(dir, ['list', '--json'], { CI: 'true', LLEM_ALLOW_ONLY: 'true' }),
    ])
    for (const r of runs) {
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const run = (JSON.parse(r.stdout).experiments as { name: string; mode: string }[]).filter((x) => x.mode === 'run').map((x) => x.name)
      // 'one' is the unmarked bench in a file with a .only
      expect(run.sort()).toEqual(['four', 'suite > three', 'two'])
    }
  })

  it('outside CI .only is allowed; config allowOnly: false refuses it there too', async () => {
    const [free, strict] = await Promise.all([
      runCli(project(), ['list'], { CI: 'false' }),
      runCli(project({ 'llem.config.json': '{ "allowOnly": false }\n' }), ['list'], { CI: '' }),
    ])
    expect(free.code).toBe(0)
    expect(strict.code).toBe(2)
    expect(strict.stderr).toContain('allowOnly is false')
    expect(strict.stderr).toContain('bench.only("two")')
  })

  it('CI=true without any .only runs as usual', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/a.bench.ts': HEAD + "bench('one', o)\n" })
    const r = await runCli(dir, ['list'], { CI: 'true' })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('one')
  })
})
