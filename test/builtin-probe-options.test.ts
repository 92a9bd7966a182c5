/**
 * Planning skips importing the built-in probes that take no required option when a plan names them
 * without options (llem's default list) or turns them off: there is nothing of theirs to check. That
 * holds only while each of them accepts no options, which is checked here against the probe's own
 * schema; a probe given options is still imported and checked.
 */
import { describe, expect, it } from 'vitest'
import { builtinProbes, PROBES_WITHOUT_REQUIRED_OPTIONS } from '../core/plugins/builtins.js'
import { validatePluginOptions } from '../core/plugins/plugin-options.js'
import { listTracingModules } from './fixtures/list-modules.js'

const bench = (probes: string) => `import { bench } from 'llem'
bench('a', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] }${probes} })
`

describe('built-in probes planned without options', () => {
  it.each([...PROBES_WITHOUT_REQUIRED_OPTIONS])('%s accepts none', async (name) => {
    const probe = await builtinProbes[name]()
    expect(() => validatePluginOptions(probe, {}, { file: 'x.bench.ts', prefix: `probes.${name}`, code: 'BENCH_INVALID' })).not.toThrow()
  })

  it('are not imported by llem list (llem default probes; one turned off)', async () => {
    const r = await listTracingModules({ 'benchmarks/a.bench.ts': bench(''), 'benchmarks/b.bench.ts': bench(", probes: { rapl: false, 'cpu-estimate': {} }") })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/2 experiments/)
    // the control: the tracer saw llem's own planning modules
    expect(r.modules.some((u) => u.includes('/core/plan/plan.js'))).toBe(true)
    expect(r.modules.filter((u) => u.includes('/plugins/probes/'))).toEqual([])
  })

  it('given options, is imported and its options checked', async () => {
    const r = await listTracingModules({ 'benchmarks/a.bench.ts': bench(', probes: { rapl: { bogus: 1 } }') })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/a\.bench\.ts.*probes\.rapl.*bogus/s)
    expect(r.modules.some((u) => u.includes('/plugins/probes/rapl.js'))).toBe(true)
  })
})
