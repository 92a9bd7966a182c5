/**
 * One loader for every kind: a backend or a probe by path (TypeScript through jiti) or by package
 * name resolved from the project root, and a reporter's `options` schema; what is not a plugin, or
 * options its schema refuses, is bad input naming the file and the dotted path.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isLlemError, type InputError } from '../core/errors.js'
import { loadBackend, loadProbe } from '../core/plugins/load-plugins.js'
import { validatePluginOptions } from '../core/plugins/plugin-options.js'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { loadReporters } from '../core/reporters/load-reporters.js'

let root: string

function write(rel: string, text: string): void {
  const file = path.join(root, rel)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
}

async function failure(p: Promise<unknown>): Promise<InputError> {
  try {
    await p
  } catch (e) {
    if (isLlemError(e)) return e as InputError
    throw e
  }
  throw new Error('expected a failure')
}

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'llem-plugins-'))
  write(
    'plugins/echo-backend.ts',
    `import { z } from 'llem/plugin'
const options: z.ZodType<{ words: number }> = z.strictObject({ words: z.int().positive() })
export default { name: 'echo', options, async start() { throw new Error('not started here') } }
`,
  )
  write('plugins/plain-probe.ts', `export default { name: 'plain', async available() { return { available: true, reason: 'ok' } }, async open() { throw new Error('x') } }\n`)
  write('plugins/not-a-probe.ts', `export const probe = { name: 'x' }\n`)
  write('plugins/half-probe.ts', `export default { name: 'half', available: 3 }\n`)
  write('node_modules/llem-probe-fixed/package.json', JSON.stringify({ name: 'llem-probe-fixed', type: 'module', exports: { '.': { import: './index.js' } } }))
  write('node_modules/llem-probe-fixed/index.js', `export default { name: 'fixed', async available() { return { available: true, reason: 'from a package' } }, async open() { throw new Error('x') } }\n`)
  write('reporters/budget.ts', `import { z } from 'llem/plugin'\nexport const options = z.strictObject({ budgetJ: z.number() })\nexport default (ctx) => ({ name: 'budget', onRunEnd() { return ctx.options.budgetJ } })\n`)
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('backends and probes of the user’s own', () => {
  it('loads a TypeScript backend by path and checks its options with its own schema', async () => {
    const backend = await loadBackend('./plugins/echo-backend.ts', root)
    expect(backend.name).toBe('echo')
    expect(validatePluginOptions(backend, { words: 3 }, { file: 'a.bench.ts', prefix: 'backend' })).toEqual({ words: 3 })
    const e = await failure(Promise.resolve().then(() => validatePluginOptions(backend, { words: 'many' }, { file: 'a.bench.ts', prefix: 'backend', code: 'BENCH_INVALID' })))
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe('a.bench.ts: backend.words: expected number, got string ("many")')
  })

  it('resolves a package name from the project root and reads its default export', async () => {
    const probe = await loadProbe('llem-probe-fixed', root)
    expect(probe.name).toBe('fixed')
    expect(await probe.available({})).toEqual({ available: true, reason: 'from a package' })
  })

  it('a plugin without an options schema takes no options, and says so', async () => {
    const probe = await loadProbe('./plugins/plain-probe', root)
    expect(validatePluginOptions(probe, {}, { file: 'llem.config.ts', prefix: 'probes.plain' })).toEqual({})
    const e = await failure(Promise.resolve().then(() => validatePluginOptions(probe, { root: '/x' }, { file: 'llem.config.ts', prefix: 'probes.plain' })))
    expect(e.message).toBe('llem.config.ts: unknown key "probes.plain.root": probes.plain "plain" takes no options (its plugin exports no options schema)')
  })

  it('refuses what is not a plugin, a missing file and an unknown name, exit 2', async () => {
    const none = await failure(loadProbe('./plugins/not-a-probe.ts', root))
    expect(none.code).toBe('PLUGIN_NOT_FOUND')
    expect(none.message).toContain('its default export must be a probe object { name, options?, available(options), open(options) }, got undefined (no default export)')
    const half = await failure(loadProbe('./plugins/half-probe.ts', root))
    expect(half.message).toContain('available must be a function; open must be a function')
    const missing = await failure(loadBackend('./plugins/nope.ts', root))
    expect(missing.message).toBe(`backend "./plugins/nope.ts": no such file ${path.join(root, 'plugins', 'nope.ts')} (a path is relative to ${root})`)
    const unknown = await failure(loadBackend('llama-ccp', root))
    expect(unknown.exitCode).toBe(2)
    expect(unknown.message).toMatch(/^unknown backend "llama-ccp" \(did you mean "llama-cpp"\?\): not a built-in \(.*\) nor a package installed in /)
  })
})

describe('a reporter’s options schema', () => {
  const base = () => ({ runId: 'r', runDir: root, rootDir: root, configFile: path.join(root, 'llem.config.ts'), stdout: process.stdout, isTTY: false, verbose: false })

  it('validates the options beside the reporter, leaving outputFile to llem', async () => {
    const [r] = await loadReporters([['./reporters/budget.ts', { budgetJ: 5, outputFile: 'b.txt' }]], base(), { outputFile: null, builtins: builtinReporters })
    expect(r.name).toBe('budget')
    const e = await failure(loadReporters([['./reporters/budget.ts', { budgetJ: 5, budge: 5 }]], base(), { outputFile: null, builtins: builtinReporters }))
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe(`${path.relative(process.cwd(), path.join(root, 'llem.config.ts'))}: reporter "./reporters/budget.ts": unknown key "reporters.0.1.budge" (did you mean "budgetJ"?)`)
  })
})
