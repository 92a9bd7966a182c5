/**
 * `llem list` imports a built-in backend only to check options the plan gives it: a backend whose
 * options are all optional, named without any, has nothing to check (that each of them accepts none is
 * checked here against its own schema). A backend given options, or one that requires some (openai's
 * baseURL), is still imported and checked, with the same exit 2 and message naming the place.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BACKENDS_WITHOUT_REQUIRED_OPTIONS, builtinBackends } from '../core/plugins/builtins.js'
import { validatePluginOptions } from '../core/plugins/plugin-options.js'
import { makeProject, REPO, runCli } from './fixtures/project.js'

const TRACER = pathToFileURL(path.join(REPO, 'test', 'fixtures', 'trace-modules.mjs')).href

function traced(): { env: Record<string, string>; modules: () => string[] } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-modules-')), 'modules.txt')
  return {
    env: { NODE_OPTIONS: `--import ${TRACER}`, LLEM_TRACE_MODULES: file },
    modules: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []),
  }
}

const bench = (backend: string) => `import { bench } from 'llem'
bench('a', { backend: ${backend}, model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })
`

describe('llem list and built-in backends', () => {
  it.each([...BACKENDS_WITHOUT_REQUIRED_OPTIONS])('%s accepts no options', async (name) => {
    const backend = await builtinBackends[name]()
    expect(() => validatePluginOptions(backend, {}, { file: 'x.bench.ts', prefix: 'backend', code: 'BENCH_INVALID' })).not.toThrow()
  })

  it('a backend named without options is not imported', async () => {
    const dir = makeProject({ 'benchmarks/a.bench.ts': bench("'llama-cpp'") })
    const t = traced()
    const r = await runCli(dir, ['list'], t.env)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/1 experiments/)
    const loaded = t.modules()
    // the control: the tracer saw llem's own planning modules
    expect(loaded.some((u) => u.includes('/core/plan/plan.js'))).toBe(true)
    expect(loaded.filter((u) => u.includes('/plugins/backends/'))).toEqual([])
  })

  it('a backend given a bad option is imported and refused, naming the place', async () => {
    const dir = makeProject({ 'benchmarks/a.bench.ts': bench("{ name: 'llama-cpp', bogus: 1 }") })
    const t = traced()
    const r = await runCli(dir, ['list'], t.env)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/a\.bench\.ts.*backend\.bogus/s)
    expect(t.modules().some((u) => u.includes('/plugins/backends/llama-cpp/index.js'))).toBe(true)
  })

  it('a backend that requires an option is still refused without it', async () => {
    const dir = makeProject({ 'benchmarks/a.bench.ts': bench("'openai'") })
    const r = await runCli(dir, ['list'], {})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/a\.bench\.ts.*backend\.baseURL/s)
  })
})
