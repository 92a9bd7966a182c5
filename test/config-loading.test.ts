/**
 * loadConfig: which files it finds (cosmiconfig search places, .ts through jiti with 'llem' resolvable),
 * what a function export gives, and the one-line errors for a missing, broken or invalid config.
 */
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../core/config/load-config.js'
import { InputError } from '../core/errors.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** A temp project; a package.json (without a "llem" key) stops cosmiconfig's upward search at it. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-config-'))
  const all = { 'package.json': '{ "name": "fixture", "private": true, "type": "module" }\n', ...files }
  for (const [rel, content] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), content)
  }
  return dir
}

async function loadError(cwd: string, configPath?: string): Promise<InputError> {
  const e = await loadConfig({ cwd, configPath }).catch((err: unknown) => err)
  expect(e).toBeInstanceOf(InputError)
  expect((e as InputError).exitCode).toBe(2)
  return e as InputError
}

const TS_CONFIG = `import { defineConfig } from 'llem'
import { CONCURRENCY, MAX_TOKENS } from './config/shared.ts'

export default defineConfig({
  load: { concurrency: CONCURRENCY },
  generation: { maxTokens: MAX_TOKENS },
  backend: 'llama-cpp',
})
`
const SHARED_TS = `export const CONCURRENCY: number = 3\nexport const MAX_TOKENS = 24 as const\n`

describe('finding and loading the config file', () => {
  it('loads llem.config.ts that imports another .ts file and defineConfig from llem, with no node_modules', async () => {
    const dir = project({ 'llem.config.ts': TS_CONFIG, 'config/shared.ts': SHARED_TS })
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded).toEqual({
      file: path.join(dir, 'llem.config.ts'),
      rootDir: dir,
      config: { load: { concurrency: 3 }, generation: { maxTokens: 24 }, backend: 'llama-cpp' },
    })
  })

  it('loads the same config in a project that installed llem (node_modules/llem)', async () => {
    // the package's exports point at dist/: it must be built (npm test builds it first)
    expect(existsSync(path.join(REPO, 'dist', 'core', 'index.js')), 'dist/ is missing: run `npm run build`').toBe(true)
    const dir = project({ 'llem.config.ts': TS_CONFIG, 'config/shared.ts': SHARED_TS })
    mkdirSync(path.join(dir, 'node_modules'))
    symlinkSync(REPO, path.join(dir, 'node_modules', 'llem'), 'dir')
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded.file).toBe(path.join(dir, 'llem.config.ts'))
    expect(loaded.config).toEqual({ load: { concurrency: 3 }, generation: { maxTokens: 24 }, backend: 'llama-cpp' })
  })

  it('loads .llemrc.json', async () => {
    const dir = project({ '.llemrc.json': '{ "repeat": 2, "probes": ["rapl"] }\n' })
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded.file).toBe(path.join(dir, '.llemrc.json'))
    expect(loaded.config).toEqual({ repeat: 2, probes: ['rapl'] })
  })

  it('loads llem.config.js with an ESM default export', async () => {
    const dir = project({ 'llem.config.js': "import { defineConfig } from 'llem'\nexport default defineConfig({ resultsDir: 'out', load: { rate: 2 } })\n" })
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded.file).toBe(path.join(dir, 'llem.config.js'))
    expect(loaded.config).toEqual({ resultsDir: 'out', load: { rate: 2 } })
  })

  it('loads llem.config.mjs', async () => {
    const dir = project({ 'llem.config.mjs': "export default { timeout: 1000, sweepMode: 'zip' }\n" })
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded.file).toBe(path.join(dir, 'llem.config.mjs'))
    expect(loaded.config).toEqual({ timeout: 1000, sweepMode: 'zip' })
  })

  it('loads the "llem" key of package.json', async () => {
    const dir = project({ 'package.json': '{ "name": "fixture", "llem": { "load": { "concurrency": 5 } } }\n' })
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded).toEqual({ file: path.join(dir, 'package.json'), rootDir: dir, config: { load: { concurrency: 5 } } })
  })

  it('skips a package.json without a "llem" key and finds llem.config.ts next to it', async () => {
    const dir = project({ 'llem.config.ts': 'export default { repeat: 4 }\n' })
    const loaded = await loadConfig({ cwd: dir })
    expect(loaded.file).toBe(path.join(dir, 'llem.config.ts'))
    expect(loaded.config).toEqual({ repeat: 4 })
  })

  it('finds the config of the project from a subdirectory, and resolves paths against its directory', async () => {
    const dir = project({ 'llem.config.ts': 'export default { repeat: 4 }\n', 'benchmarks/sub/.keep': '' })
    const loaded = await loadConfig({ cwd: path.join(dir, 'benchmarks', 'sub') })
    expect(loaded.file).toBe(path.join(dir, 'llem.config.ts'))
    expect(loaded.rootDir).toBe(dir)
  })

  it('calls a config that exports a function', async () => {
    const dir = project({ 'llem.config.ts': "export default () => ({ generation: { maxTokens: 7 }, reporters: ['json'] })\n" })
    expect((await loadConfig({ cwd: dir })).config).toEqual({ generation: { maxTokens: 7 }, reporters: ['json'] })
  })

  it('awaits a config that exports an async function through defineConfig', async () => {
    const dir = project({ 'llem.config.ts': "import { defineConfig } from 'llem'\nexport default defineConfig(async () => ({ bail: 3 }))\n" })
    expect((await loadConfig({ cwd: dir })).config).toEqual({ bail: 3 })
  })

  it('loads a config named by --config, relative to cwd, with its own directory as root', async () => {
    const dir = project({ 'configs/ci.config.ts': 'export default { measurement: { sampleIntervalMs: 250 } }\n' })
    const loaded = await loadConfig({ cwd: dir, configPath: 'configs/ci.config.ts' })
    expect(loaded).toEqual({ file: path.join(dir, 'configs', 'ci.config.ts'), rootDir: path.join(dir, 'configs'), config: { measurement: { sampleIntervalMs: 250 } } })
  })

  it('gives all defaults when there is no config file', async () => {
    const dir = project({})
    expect(await loadConfig({ cwd: dir })).toEqual({ file: null, rootDir: dir, config: {} })
  })
})

describe('config errors', () => {
  it('--config path/that/does-not-exist: CONFIG_NOT_FOUND naming the path', async () => {
    const dir = project({ 'llem.config.ts': 'export default {}\n' })
    const e = await loadError(dir, 'path/that/does-not-exist')
    expect(e.code).toBe('CONFIG_NOT_FOUND')
    expect(e.message).toBe(`config file not found: path/that/does-not-exist (resolved to ${path.join(dir, 'path/that/does-not-exist')})`)
    expect(e.file).toBe(path.join(dir, 'path/that/does-not-exist'))
  })

  it('a syntax error in llem.config.ts: CONFIG_SYNTAX with file:line:column', async () => {
    const dir = project({ 'llem.config.ts': 'export default {\n  load: {\n    concurrency: 2,,\n  },\n}\n' })
    const e = await loadError(dir)
    expect(e.code).toBe('CONFIG_SYNTAX')
    expect(e.message).toMatch(/llem\.config\.ts:3:\d+: syntax error: /)
    expect(e.message.split('\n')).toHaveLength(1)
    expect(e.file).toBe(path.join(dir, 'llem.config.ts'))
  })

  it('a config that throws while loading: the line of the throw and the message', async () => {
    const dir = project({ 'llem.config.ts': "const x = 1\nthrow new Error('config exploded')\nexport default { x }\n" })
    const e = await loadError(dir)
    expect(e.code).toBe('CONFIG_SYNTAX')
    expect(e.message).toMatch(/llem\.config\.ts:2:\d+: error while loading config file: config exploded$/)
  })

  it('an unknown top-level key: CONFIG_INVALID with the closest valid key', async () => {
    const dir = project({ 'llem.config.ts': 'export default { measurment: { sampleIntervalMs: 50 } }\n' })
    const e = await loadError(dir)
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.message).toBe('llem.config.ts: unknown key "measurment" (did you mean "measurement"?)')
  })

  it('an unknown nested key: the suggestion keeps the dotted path', async () => {
    const dir = project({ 'llem.config.ts': 'export default { measurement: { warmp: { maxRequests: 3 } } }\n' })
    const e = await loadError(dir)
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.message).toBe('llem.config.ts: unknown key "measurement.warmp" (did you mean "measurement.warmup"?)')
  })

  it('a wrong type: the dotted path, what was expected and what was got', async () => {
    const dir = project({ 'llem.config.ts': "export default { load: { concurrency: '4' } }\n" })
    const e = await loadError(dir)
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.message).toBe('llem.config.ts: load.concurrency: expected number, got string ("4")')
  })

  it('several problems: one line each', async () => {
    const dir = project({ '.llemrc.json': '{ "load": { "concurrency": 0, "rate": "fast" } }\n' })
    const e = await loadError(dir)
    expect(e.message).toBe('.llemrc.json:\n  - load.concurrency: Too small: expected number to be >0\n  - load.rate: string ("fast") is not valid here')
  })

  it('an invalid "llem" key in package.json says so', async () => {
    const dir = project({ 'package.json': '{ "name": "fixture", "llem": { "repet": 2 } }\n' })
    const e = await loadError(dir)
    expect(e.message).toBe('package.json ("llem" key): unknown key "repet" (did you mean "repeat"?)')
  })
})
