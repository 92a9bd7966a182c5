/**
 * `llem list` imports a built-in backend only to check options the plan gives it: a backend whose
 * options are all optional, named without any, has nothing to check (that each of them accepts none is
 * checked here against its own schema). A backend given options, or one that requires some (openai's
 * baseURL), is still imported and checked, with the same exit 2 and message naming the place.
 */
import { describe, expect, it } from 'vitest'
import { BACKENDS_WITHOUT_REQUIRED_OPTIONS, builtinBackends } from '../core/plugins/builtins.js'
import { validatePluginOptions } from '../core/plugins/plugin-options.js'
import { listTracingModules } from './fixtures/list-modules.js'

const bench = (backend: string) => `import { bench } from 'llem'
bench('a', { backend: ${backend}, model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })
`

describe('llem list and built-in backends', () => {
  it.each([...BACKENDS_WITHOUT_REQUIRED_OPTIONS])('%s accepts no options', async (name) => {
    const backend = await builtinBackends[name]()
    expect(() => validatePluginOptions(backend, {}, { file: 'x.bench.ts', prefix: 'backend', code: 'BENCH_INVALID' })).not.toThrow()
  })

  it('a backend named without options is not imported', async () => {
    const r = await listTracingModules({ 'benchmarks/a.bench.ts': bench("'llama-cpp'") })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/1 experiments/)
    // the control: the tracer saw llem's own planning modules
    expect(r.modules.some((u) => u.includes('/core/plan/plan.js'))).toBe(true)
    expect(r.modules.filter((u) => u.includes('/plugins/backends/'))).toEqual([])
  })

  it('a backend given a bad option is imported and refused, naming the place', async () => {
    const r = await listTracingModules({ 'benchmarks/a.bench.ts': bench("{ name: 'llama-cpp', bogus: 1 }") })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/a\.bench\.ts.*backend\.bogus/s)
    expect(r.modules.some((u) => u.includes('/plugins/backends/llama-cpp/index.js'))).toBe(true)
  })

  it('a backend that requires an option is still refused without it', async () => {
    const r = await listTracingModules({ 'benchmarks/a.bench.ts': bench("'openai'") })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/a\.bench\.ts.*backend\.baseURL/s)
  })
})
