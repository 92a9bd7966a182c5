/**
 * Collecting bench files: describe()/bench() nesting with options and file:line locations, .skip/.only,
 * defineBench default exports, the errors a broken bench file gives, and discovery by include/exclude/filter.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { bench as benchOutsideCollection } from '../core/api/collector.js'
import { collectFile, collectFiles, effectiveMode, fullName } from '../core/collect/collect-files.js'
import { discoverBenchFiles } from '../core/collect/discover.js'
import { buildOverrideLayers } from '../core/config/overrides.js'
import { InputError } from '../core/errors.js'
import { buildPlan } from '../core/plan/plan.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BENCHES = path.join(REPO, 'test', 'fixtures', 'benches')
const fixture = (name: string) => path.join(BENCHES, name)

async function collectError(file: string, rootDir = REPO): Promise<InputError> {
  const e = await collectFile(file, rootDir).catch((err: unknown) => err)
  expect(e).toBeInstanceOf(InputError)
  expect((e as InputError).exitCode).toBe(2)
  return e as InputError
}

function tempDir(files: Record<string, string>, prefix = 'llem-collect-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), content)
  }
  return dir
}

describe('describe() and bench()', () => {
  it('collects nested suites with their options, in declaration order, with file:line locations', async () => {
    const file = fixture('suites.bench.ts')
    const benches = await collectFile(file, REPO)
    expect(benches.map(fullName)).toEqual(['outer > inner > deep', 'outer > shallow', 'top'])
    const [deep, shallow, top] = benches
    expect(deep.suites).toEqual([
      { name: 'outer', options: { backend: 'llama-cpp', load: { concurrency: 2 }, generation: { maxTokens: 8 } }, mode: 'run', location: `${file}:3` },
      { name: 'inner', options: { load: { concurrency: 3 }, generation: { temperature: 0.5 } }, mode: 'run', location: `${file}:4` },
    ])
    expect(deep).toMatchObject({ file, name: 'deep', options: { load: { concurrency: 4 } }, mode: 'run', location: `${file}:5`, kind: 'bench' })
    expect(shallow.suites.map((s) => s.name)).toEqual(['outer'])
    expect(shallow).toMatchObject({ options: {}, location: `${file}:7` })
    expect(top).toMatchObject({ suites: [], options: { backend: { name: 'llama-cpp', threads: 2 }, probes: ['rapl'] }, location: `${file}:10` })
  })

  it('the collected options plan as describe < bench', async () => {
    const benches = await collectFile(fixture('suites.bench.ts'), REPO)
    const o = buildOverrideLayers({}, {})
    const xs = buildPlan({ benches, rootDir: REPO, configFile: null, config: {}, env: o.env, cli: o.cli, cliOverrides: {} })
    expect(xs.map((x) => [x.name, x.config.load.concurrency, x.config.generation.maxTokens, x.config.generation.temperature])).toEqual([
      ['outer > inner > deep', 4, 8, 0.5],
      ['outer > shallow', 2, 8, 0],
      ['top', 1, 64, 0],
    ])
    expect(xs[2].config.backend).toEqual({ name: 'llama-cpp', threads: 2 })
    expect(xs[2].config.probes).toEqual({ rapl: {} })
  })

  it('bench() outside a collection says how to run it', () => {
    expect(() => benchOutsideCollection('x')).toThrow('describe() and bench() can only be called while llem collects a bench file (run it with `llem bench`)')
  })

  it('a location keeps its line when the path has a space in it', async () => {
    const dir = tempDir({ 'my benches/a.bench.ts': "import { bench, describe } from 'llem'\n\ndescribe('s', () => {\n  bench('spaced', { backend: 'llama-cpp' })\n})\n" }, 'llem collect ')
    const file = path.join(dir, 'my benches', 'a.bench.ts')
    const [b] = await collectFile(file, dir)
    expect(b.suites[0].location).toBe(`${file}:3`)
    expect(b.location).toBe(`${file}:4`)
  })
})

describe('.skip and .only', () => {
  it('records each mode as written', async () => {
    const benches = await collectFile(fixture('modes.bench.ts'), REPO)
    expect(benches.map((b) => [fullName(b), b.suites.map((s) => s.mode).join(','), b.mode])).toEqual([
      ['skipped suite > inside skipped suite', 'skip', 'run'],
      ['skipped suite > only inside skipped suite', 'skip', 'only'],
      ['plain suite > plain', 'run', 'run'],
      ['plain suite > skipped bench', 'run', 'skip'],
      ['only suite > inside only suite', 'only', 'run'],
      ['only bench', '', 'only'],
    ])
  })

  it('with .only in the run: only the marked benches and suites run; .skip on a suite skips its benches', async () => {
    const benches = await collectFile(fixture('modes.bench.ts'), REPO)
    expect(benches.map((b) => [b.name, effectiveMode(b, true)])).toEqual([
      ['inside skipped suite', 'skip'],
      ['only inside skipped suite', 'skip'],
      ['plain', 'skip'],
      ['skipped bench', 'skip'],
      ['inside only suite', 'run'],
      ['only bench', 'run'],
    ])
  })

  it('without .only anywhere, .skip still skips', async () => {
    const benches = await collectFile(fixture('modes.bench.ts'), REPO)
    expect(benches.filter((b) => effectiveMode(b, false) === 'skip').map((b) => b.name)).toEqual(['inside skipped suite', 'only inside skipped suite', 'skipped bench'])
  })

  it('.only narrows its own file only, as in Vitest: a file without one runs in full', async () => {
    const alone = await collectFiles([fixture('plain.bench.ts')], REPO)
    const o = buildOverrideLayers({}, {})
    const planOf = (benches: typeof alone) => buildPlan({ benches, rootDir: REPO, configFile: null, config: {}, env: o.env, cli: o.cli, cliOverrides: {} })
    expect(planOf(alone).map((x) => [x.name, x.mode])).toEqual([['in another file', 'run']])
    const both = await collectFiles([fixture('plain.bench.ts'), fixture('modes.bench.ts')], REPO)
    const modes = Object.fromEntries(planOf(both).map((x) => [x.name, x.mode]))
    expect(modes['in another file']).toBe('run')
    expect(modes['only suite > inside only suite']).toBe('run')
    expect(modes['only bench']).toBe('run')
    expect(Object.values(modes).filter((m) => m === 'run')).toHaveLength(3)
  })
})

describe('defineBench default export', () => {
  it('one definition: its name, its options without the name', async () => {
    const file = fixture('define-one.bench.ts')
    expect(await collectFile(file, REPO)).toEqual([
      { file, name: 'single', suites: [], options: { backend: 'llama-cpp', load: { concurrency: 4 } }, mode: 'run', location: file, kind: 'defineBench' },
    ])
  })

  it('an array: names default to the file name with #i; skip/only become modes and leave the options', async () => {
    const file = fixture('define-many.bench.ts')
    const benches = await collectFile(file, REPO)
    expect(benches.map((b) => [b.name, b.mode, b.options, b.kind])).toEqual([
      ['first', 'run', { backend: 'llama-cpp', generation: { maxTokens: 16 } }, 'defineBench'],
      ['define-many #2', 'skip', { backend: 'llama-cpp' }, 'defineBench'],
      ['third', 'only', { backend: 'llama-cpp' }, 'defineBench'],
    ])
  })

  it('a single definition without a name takes the file name', async () => {
    const dir = tempDir({ 'chat-small.bench.ts': "import { defineBench } from 'llem'\nexport default defineBench({ backend: 'llama-cpp' })\n" })
    const [b] = await collectFile(path.join(dir, 'chat-small.bench.ts'), dir)
    expect(b.name).toBe('chat-small')
  })

  it('a plain object default export (not through defineBench) declares nothing', async () => {
    const dir = tempDir({ 'plain.bench.ts': "export default { backend: 'llama-cpp' }\n" })
    expect(await collectFile(path.join(dir, 'plain.bench.ts'), dir)).toEqual([])
  })
})

describe('a registration reaches the collector from another copy of the API', () => {
  it('a bench file importing the built dist/ copy directly is still collected', async () => {
    const entry = path.join(REPO, 'dist', 'core', 'index.js')
    expect(existsSync(entry), 'dist/ is missing: run `npm run build`').toBe(true)
    const dir = tempDir({ 'a.bench.ts': `import { bench } from ${JSON.stringify(entry)}\nbench('from dist', { backend: 'llama-cpp' })\n` })
    const benches = await collectFile(path.join(dir, 'a.bench.ts'), dir)
    expect(benches.map((b) => [b.name, b.location])).toEqual([['from dist', `${path.join(dir, 'a.bench.ts')}:2`]])
  })
})

describe('bench file errors', () => {
  it('a file that throws on import: BENCH_IMPORT with the relative path and the line of the throw', async () => {
    const e = await collectError(fixture('throws.bench.ts'))
    expect(e.code).toBe('BENCH_IMPORT')
    expect(e.message).toMatch(/^test\/fixtures\/benches\/throws\.bench\.ts:4:\d+: error while loading bench file: bench file exploded$/)
    expect(e.file).toBe(fixture('throws.bench.ts'))
    // the collection was closed: a later file collects normally, nothing of the broken one leaks in
    expect(() => benchOutsideCollection('x')).toThrow(/can only be called while llem collects/)
    expect((await collectFile(fixture('plain.bench.ts'), REPO)).map((b) => b.name)).toEqual(['in another file'])
  })

  it('a file that throws, in a directory with a space: still the line of the throw', async () => {
    const dir = tempDir({ 'a.bench.ts': "import { bench } from 'llem'\n\nthrow new Error('spaced boom')\n" }, 'llem collect ')
    const e = await collectError(path.join(dir, 'a.bench.ts'), dir)
    expect(e.message).toMatch(/a\.bench\.ts:3:\d+: error while loading bench file: spaced boom$/)
  })

  it('a syntax error in a bench file: BENCH_IMPORT with line and "syntax error"', async () => {
    const dir = tempDir({ 'a.bench.ts': "import { bench } from 'llem'\n\nbench('x', { backend: 'llama-cpp' ))\n" })
    const e = await collectError(path.join(dir, 'a.bench.ts'), dir)
    expect(e.code).toBe('BENCH_IMPORT')
    expect(e.message).toMatch(/a\.bench\.ts:3:\d+: syntax error: /)
  })

  it('an unknown option key: BENCH_INVALID naming bench("name") and the closest key', async () => {
    const e = await collectError(fixture('bad-key.bench.ts'))
    expect(e.code).toBe('BENCH_INVALID')
    expect(e.message).toBe('test/fixtures/benches/bad-key.bench.ts:5: bench("typo"): unknown key "lod" (did you mean "load"?)')
  })

  it('an unknown nested key: the dotted path and the dotted suggestion', async () => {
    const e = await collectError(fixture('bad-nested.bench.ts'))
    expect(e.code).toBe('BENCH_INVALID')
    expect(e.message).toBe('test/fixtures/benches/bad-nested.bench.ts:5: bench("nested typo"): unknown key "measurement.warmp" (did you mean "measurement.warmup"?)')
  })

  it('a bad option in describe(): names describe("name") and its line', async () => {
    const dir = tempDir({ 'a.bench.ts': "import { bench, describe } from 'llem'\n\ndescribe('suite', { load: { concurrency: '2' } } as never, () => {\n  bench('b', { backend: 'llama-cpp' })\n})\n" })
    const e = await collectError(path.join(dir, 'a.bench.ts'), dir)
    expect(e.code).toBe('BENCH_INVALID')
    expect(e.message).toBe('a.bench.ts:3: describe("suite"): load.concurrency: expected number, got string ("2")')
  })

  it('a bad option in a defineBench: names defineBench("name")', async () => {
    const dir = tempDir({ 'a.bench.ts': "import { defineBench } from 'llem'\nexport default defineBench({ name: 'd', backend: 'llama-cpp', repat: 2 } as never)\n" })
    const e = await collectError(path.join(dir, 'a.bench.ts'), dir)
    expect(e.message).toBe('a.bench.ts: defineBench("d"): unknown key "repat" (did you mean "repeat"?)')
  })

  it('an async describe callback is refused', async () => {
    const dir = tempDir({ 'a.bench.ts': "import { describe } from 'llem'\n\ndescribe('later', async () => {})\n" })
    const e = await collectError(path.join(dir, 'a.bench.ts'), dir)
    expect(e.code).toBe('BENCH_IMPORT')
    // an import error names the file relative to the working directory (as the terminal sees it)
    const rel = path.relative(process.cwd(), path.join(dir, 'a.bench.ts'))
    expect(e.message.startsWith(`${rel}:3:`)).toBe(true)
    expect(e.message).toMatch(/^[^:]+:3:\d+: TypeError while loading bench file: describe\("later"\): the callback must be synchronous \(benches are declared, not run, at collection\)$/)
  })
})

describe('discoverBenchFiles', () => {
  const all = ['bad-key', 'bad-nested', 'define-many', 'define-one', 'modes', 'plain', 'precedence', 'suites', 'throws'].map((n) => fixture(`${n}.bench.ts`))

  it('globs include patterns to sorted absolute paths', async () => {
    const files = await discoverBenchFiles({ rootDir: BENCHES, include: ['*.bench.ts'], exclude: [], filters: [] })
    expect(files).toEqual(expect.arrayContaining(all))
    expect(files).not.toContain(fixture('nested/deeper/x.bench.ts'))
    expect(files).toEqual([...files].sort())
    expect(files.every((f) => path.isAbsolute(f))).toBe(true)
  })

  it('exclude patterns drop files', async () => {
    const files = await discoverBenchFiles({ rootDir: BENCHES, include: ['**/*.bench.ts'], exclude: ['**/bad-*', 'throws.bench.ts', 'nested/**'], filters: [] })
    expect(files).toContain(fixture('suites.bench.ts'))
    expect(files).toContain(fixture('define-one.bench.ts'))
    expect(files.filter((f) => /bad-|throws|nested/.test(f))).toEqual([])
  })

  it('a positional filter narrows by a substring of the path relative to the root', async () => {
    const base = { rootDir: BENCHES, include: ['**/*.bench.ts'], exclude: [] }
    expect(await discoverBenchFiles({ ...base, filters: ['define'] })).toEqual([fixture('define-many.bench.ts'), fixture('define-one.bench.ts')])
    expect(await discoverBenchFiles({ ...base, filters: ['nested/deeper'] })).toEqual([fixture('nested/deeper/x.bench.ts')])
    expect(await discoverBenchFiles({ ...base, filters: ['modes', 'plain'] })).toEqual([fixture('modes.bench.ts'), fixture('plain.bench.ts')])
    expect(await discoverBenchFiles({ ...base, filters: ['no-such-bench'] })).toEqual([])
  })
})
