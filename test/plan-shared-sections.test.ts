/**
 * A plan parses a config section once and shares the parsed form wherever the same section appears
 * again (core/plan/validate-point.ts), across sweep points and across benches. Sharing must never
 * carry one bench's options into another: each bench's experiments are the same whether it is
 * planned alone or after benches that set, sweep or break other options.
 */
import { describe, expect, it } from 'vitest'
import { EXPERIMENT_DEFAULTS } from '../core/config/defaults.js'
import { PointValidator } from '../core/plan/validate-point.js'
import { makeProject, runCli } from './fixtures/project.js'

const A = `import { describe, bench } from 'llem'
describe('a', { backend: 'llama-cpp', model: { random: 'llama-1m' }, generation: { maxTokens: 7 }, measurement: { warmup: { mode: 'fixed', requests: 3 } } }, () => {
  bench('swept', { sweep: { 'load.concurrency': [1, 2], 'generation.maxTokens': [5, 9] }, dataset: { prompts: ['x'] } })
})
`
const B = `import { describe, bench } from 'llem'
describe('b', { backend: 'llama-cpp', model: { random: 'llama-1m' } }, () => {
  bench('plain', { dataset: { synthetic: { inputTokens: 8, n: 2 } } })
  bench('rated', { load: { rate: 4, concurrency: 2 }, dataset: { prompts: ['y'] } })
})
`
const BAD = `import { describe, bench } from 'llem'
describe('c', { backend: 'llama-cpp', model: { random: 'llama-1m' } }, () => {
  bench('ok', { dataset: { prompts: ['z'] } })
  bench('broken', { sweep: { 'load.concurrency': [1, -3] }, dataset: { prompts: ['z'] } })
})
`

interface Listed {
  experiments: Array<{ name: string; effective_config: Record<string, any>; task_hash: string }>
}

async function list(files: Record<string, string>, filter: string[] = []): Promise<Listed> {
  const r = await runCli(makeProject(files), ['list', '--json', ...filter])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Listed
}

describe('sections shared across a plan', () => {
  it('a bench planned after others has the experiments it has alone', async () => {
    const both = await list({ 'benchmarks/a.bench.ts': A, 'benchmarks/b.bench.ts': B })
    const alone = await list({ 'benchmarks/b.bench.ts': B })
    const ofB = both.experiments.filter((x) => x.name.startsWith('b >'))
    expect(ofB).toEqual(alone.experiments)
    // a's own options stayed with a: the sweep's values at each point, its describe's warmup
    const ofA = both.experiments.filter((x) => x.name.startsWith('a >'))
    expect(ofA.map((x) => [x.effective_config.load.concurrency, x.effective_config.generation.maxTokens])).toEqual([[1, 5], [1, 9], [2, 5], [2, 9]])
    expect(ofA.every((x) => x.effective_config.measurement.warmup.requests === 3)).toBe(true)
    expect(ofB.every((x) => x.effective_config.measurement.warmup.requests !== 3 && x.effective_config.generation.maxTokens !== 7)).toBe(true)
    expect(ofB.map((x) => x.effective_config.load.rate)).toEqual([null, 4])
  })

  it('sections equal as JSON text share a parsed form, but Infinity is not null', async () => {
    // the same load section but for rate: null in one bench, Infinity (which JSON writes as null) in the
    // next, and a sweep whose points repeat sections of the first bench by value
    const NULL_RATE = `import { describe, bench } from 'llem'
describe('d', { backend: 'llama-cpp', model: { random: 'llama-1m' } }, () => {
  bench('null rate', { load: { concurrency: 2, rate: null }, dataset: { prompts: ['x'] } })
})
`
    const INF_RATE = `import { describe, bench } from 'llem'
describe('e', { backend: 'llama-cpp', model: { random: 'llama-1m' } }, () => {
  bench('inf rate', { load: { concurrency: 2, rate: Infinity }, dataset: { prompts: ['x'] } })
  bench('swept', { sweep: { 'load.concurrency': [2, 3], 'load.rate': [null, 5] }, dataset: { prompts: ['x'] } })
})
`
    const both = await list({ 'benchmarks/d.bench.ts': NULL_RATE, 'benchmarks/e.bench.ts': INF_RATE })
    const alone = await list({ 'benchmarks/e.bench.ts': INF_RATE })
    expect(both.experiments.filter((x) => x.name.startsWith('e >'))).toEqual(alone.experiments)
    const rate = (name: string) => both.experiments.find((x) => x.name.startsWith(name))!.effective_config.load.rate
    expect(rate('d > null rate')).toBeNull()
    expect(rate('e > inf rate')).not.toBeNull()
    expect(alone.experiments.map((x) => [x.effective_config.load.concurrency, x.effective_config.load.rate])).toEqual([[2, rate('e > inf rate')], [2, null], [2, 5], [3, null], [3, 5]])
  })

  it('the validator never takes a section for another whose JSON text is the same (Infinity)', () => {
    // as the plan hands them over: merged objects, fresh per experiment; Infinity reaches the
    // validator unconverted when a layer is built in code (JSON writes it, like NaN, as null)
    const base = structuredClone(EXPERIMENT_DEFAULTS) as unknown as Record<string, any>
    const withLoad = (load: Record<string, unknown>) => ({ ...base, backend: { name: 'llama-cpp' }, model: { random: 'llama-1m' }, load: { ...base.load, ...load } })
    const v = new PointValidator()
    const site = { file: 'x.bench.ts', label: 'bench("x")' }
    expect(v.validate(withLoad({ rate: null }), site).load.rate).toBeNull()
    expect(v.validate(withLoad({ rate: 4 }), site).load.rate).toBe(4)
    expect(v.validate(withLoad({ rate: Infinity }), site).load.rate).not.toBeNull()
    expect(v.validate(withLoad({ rate: null }), site).load.rate).toBeNull()
    expect(v.validate(withLoad({ rate: 4 }), site).load.rate).toBe(4)
  })

  it('a bad sweep point after valid benches is refused with its own place', async () => {
    const r = await runCli(makeProject({ 'benchmarks/a.bench.ts': A, 'benchmarks/c.bench.ts': BAD }), ['list'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/benchmarks\/c\.bench\.ts:4: bench\("broken"\) sweep point \[load\.concurrency=-3\]: load\.concurrency/)
  })
})
