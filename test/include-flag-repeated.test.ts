/**
 * --include <glob>: each flag adds its globs, and together they replace the config's include (as
 * --reporter replaces the configured reporters), so `--include a --include b` collects a and b. A comma
 * inside braces belongs to the glob; one outside separates globs, as `--include a,b` always did (and
 * LLEM_INCLUDE alike).
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const bench = (name: string) => `import { bench } from 'llem'\nbench('${name}', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n`
const FILES = {
  'package.json': PKG,
  'llem.config.json': '{ "include": ["benchmarks/**/*.bench.ts"] }\n',
  'benchmarks/main.bench.ts': bench('main'),
  'perf/p.bench.ts': bench('p'),
  'extra/e.bench.ts': bench('e'),
}

const files = async (dir: string, args: string[], env: Record<string, string> = {}) => {
  const r = await runCli(dir, ['list', '--json', ...args], env)
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  return (JSON.parse(r.stdout).files as string[]).map((f) => f.split('\\').join('/')).sort()
}

describe('--include', () => {
  it('repeated: the union of the globs, in place of the configured include', async () => {
    const dir = makeProject(FILES)
    const [configured, one, two] = await Promise.all([
      files(dir, []),
      files(dir, ['--include', 'perf/*.bench.ts']),
      files(dir, ['--include', 'perf/*.bench.ts', '--include=extra/*.bench.ts']),
    ])
    expect(configured).toEqual(['benchmarks/main.bench.ts'])
    expect(one).toEqual(['perf/p.bench.ts'])
    expect(two).toEqual(['extra/e.bench.ts', 'perf/p.bench.ts'])
  })

  it('a comma outside braces separates globs; inside braces it is part of the glob', async () => {
    const dir = makeProject(FILES)
    const [commas, braces] = await Promise.all([files(dir, ['--include', 'perf/*.bench.ts,extra/*.bench.ts']), files(dir, ['--include', '{perf,extra}/*.bench.ts'])])
    expect(commas).toEqual(['extra/e.bench.ts', 'perf/p.bench.ts'])
    expect(braces).toEqual(['extra/e.bench.ts', 'perf/p.bench.ts'])
    // LLEM_INCLUDE reads its value the same way (it split the braces into '{perf' and 'extra}/*.bench.ts')
    expect(await files(dir, [], { LLEM_INCLUDE: '{perf,extra}/*.bench.ts' })).toEqual(['extra/e.bench.ts', 'perf/p.bench.ts'])
    expect(await files(dir, [], { LLEM_INCLUDE: 'perf/*.bench.ts,extra/*.bench.ts' })).toEqual(['extra/e.bench.ts', 'perf/p.bench.ts'])
  })

  it('the flag wins over LLEM_INCLUDE; the benches of the included files run', async () => {
    const dir = makeProject(FILES)
    const r = await runCli(dir, ['bench', '--dry-run', '--include', 'perf/*.bench.ts', '--include', 'benchmarks/*.bench.ts'], { LLEM_INCLUDE: 'extra/*.bench.ts' })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('perf/p.bench.ts')
    expect(r.stdout).toContain('benchmarks/main.bench.ts')
    expect(r.stdout).not.toContain('extra/e.bench.ts')
    expect(r.stdout).toContain('2 experiments (2 to run)')
  })
})
