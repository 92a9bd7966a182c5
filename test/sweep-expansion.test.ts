/**
 * Sweeps and repeats through buildPlan: grid and zip points in key order, readable names, unique ids,
 * task_hash (stable, shared by repeats, changed by what runs), and the errors a bad sweep gives.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { CollectedBench, SuiteFrame } from '../core/api/collector.js'
import { buildOverrideLayers } from '../core/config/overrides.js'
import { InputError } from '../core/errors.js'
import { buildPlan, type Experiment } from '../core/plan/plan.js'
import { expandSweep } from '../core/plan/expand-sweep.js'

const ROOT = '/proj'
const FILE = path.join(ROOT, 'benchmarks', 's.bench.ts')

function collected(options: Record<string, unknown>, opts: { name?: string; suites?: SuiteFrame[] } = {}): CollectedBench {
  return { file: FILE, name: opts.name ?? 'b', suites: opts.suites ?? [], options: { backend: 'llama-cpp', ...options }, mode: 'run', location: `${FILE}:7`, kind: 'bench' }
}

function plan(benches: CollectedBench[], o: { env?: NodeJS.ProcessEnv; flags?: Record<string, string | boolean>; config?: Record<string, unknown> } = {}): Experiment[] {
  const layers = buildOverrideLayers(o.env ?? {}, o.flags ?? {})
  return buildPlan({ benches, rootDir: ROOT, configFile: path.join(ROOT, 'llem.config.ts'), config: o.config ?? {}, env: layers.env, cli: layers.cli, cliOverrides: layers.cliOverrides })
}

function planError(benches: CollectedBench[]): InputError {
  let caught: unknown
  try {
    plan(benches)
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(InputError)
  return caught as InputError
}

describe('grid', () => {
  const xs = plan([collected({ sweep: { 'load.concurrency': [1, 2, 4], 'generation.maxTokens': [32, 64] } })])

  it('3 x 2 values give 6 experiments, in key order with the last key fastest', () => {
    expect(xs.map((x) => x.name)).toEqual([
      'b [load.concurrency=1, generation.maxTokens=32]',
      'b [load.concurrency=1, generation.maxTokens=64]',
      'b [load.concurrency=2, generation.maxTokens=32]',
      'b [load.concurrency=2, generation.maxTokens=64]',
      'b [load.concurrency=4, generation.maxTokens=32]',
      'b [load.concurrency=4, generation.maxTokens=64]',
    ])
    expect(xs.map((x) => x.sweep_point)).toEqual([
      { 'load.concurrency': 1, 'generation.maxTokens': 32 },
      { 'load.concurrency': 1, 'generation.maxTokens': 64 },
      { 'load.concurrency': 2, 'generation.maxTokens': 32 },
      { 'load.concurrency': 2, 'generation.maxTokens': 64 },
      { 'load.concurrency': 4, 'generation.maxTokens': 32 },
      { 'load.concurrency': 4, 'generation.maxTokens': 64 },
    ])
  })

  it('each experiment runs its point, with the sweep as provenance', () => {
    expect(xs.map((x) => [x.config.load.concurrency, x.config.generation.maxTokens])).toEqual([
      [1, 32],
      [1, 64],
      [2, 32],
      [2, 64],
      [4, 32],
      [4, 64],
    ])
    expect(xs[3].provenance['load.concurrency']).toEqual({ value: 2, source: 'sweep', source_detail: 'sweep over load.concurrency from bench("b") at benchmarks/s.bench.ts:7' })
    expect(xs[3].provenance['generation.maxTokens']).toEqual({ value: 64, source: 'sweep', source_detail: 'sweep over generation.maxTokens from bench("b") at benchmarks/s.bench.ts:7' })
    expect(xs[3].provenance['sweep']).toEqual({ value: { 'load.concurrency': [1, 2, 4], 'generation.maxTokens': [32, 64] }, source: 'bench', source_detail: 'bench("b") at benchmarks/s.bench.ts:7' })
  })

  it('ids and task hashes are unique per point', () => {
    expect(new Set(xs.map((x) => x.id)).size).toBe(6)
    expect(new Set(xs.map((x) => x.task_hash)).size).toBe(6)
    for (const x of xs) expect(x.id).toMatch(/^b-load-concurrency-\d-generation-maxtokens-[0-9a-f]{8}$/)
    expect(xs.every((x) => x.repeat_index === 1 && x.repeat_count === 1)).toBe(true)
  })

  it('the full name of a bench in describe() starts the name', () => {
    const [x] = plan([collected({ sweep: { model: ['a.gguf'] } }, { suites: [{ name: 'suite', options: {}, mode: 'run', location: `${FILE}:3` }] })])
    expect(x.name).toBe('suite > b [model=a.gguf]')
    expect(x.config.model).toBe('a.gguf')
  })

  it('a sweep in the config file applies to every bench', () => {
    const ys = plan([collected({}, { name: 'one' }), collected({}, { name: 'two' })], { config: { sweep: { 'generation.temperature': [0, 0.5] } } })
    expect(ys.map((x) => x.name)).toEqual(['one [generation.temperature=0]', 'one [generation.temperature=0.5]', 'two [generation.temperature=0]', 'two [generation.temperature=0.5]'])
    expect(ys[1].provenance['generation.temperature'].source_detail).toBe('sweep over generation.temperature from llem.config.ts')
  })
})

describe('zip', () => {
  it('pairs the i-th values', () => {
    const xs = plan([collected({ sweepMode: 'zip', sweep: { 'load.concurrency': [1, 2, 4], 'generation.maxTokens': [32, 64, 128] } })])
    expect(xs.map((x) => x.name)).toEqual([
      'b [load.concurrency=1, generation.maxTokens=32]',
      'b [load.concurrency=2, generation.maxTokens=64]',
      'b [load.concurrency=4, generation.maxTokens=128]',
    ])
    expect(xs.map((x) => [x.config.load.concurrency, x.config.generation.maxTokens])).toEqual([
      [1, 32],
      [2, 64],
      [4, 128],
    ])
  })

  it('lists of unequal lengths: BENCH_INVALID naming the bench and the lengths', () => {
    const e = planError([collected({ sweepMode: 'zip', sweep: { 'load.concurrency': [1, 2, 4], 'generation.maxTokens': [32, 64] } })])
    expect(e.code).toBe('BENCH_INVALID')
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe('benchmarks/s.bench.ts:7: bench("b"): sweepMode "zip" needs lists of one length; got load.concurrency: 3, generation.maxTokens: 2')
  })

  it('expandSweep on its own: no keys is one empty point', () => {
    expect(expandSweep({}, 'grid')).toEqual([{}])
    expect(expandSweep({}, 'zip')).toEqual([{}])
  })
})

describe('repeat', () => {
  it('repeat: 3 gives #1..#3 with unique ids and one task_hash', () => {
    const xs = plan([collected({ repeat: 3 })])
    expect(xs.map((x) => x.name)).toEqual(['b #1', 'b #2', 'b #3'])
    expect(xs.map((x) => x.repeat_index)).toEqual([1, 2, 3])
    expect(xs.map((x) => x.repeat_count)).toEqual([3, 3, 3])
    expect(new Set(xs.map((x) => x.id)).size).toBe(3)
    expect(xs.map((x) => x.id)).toEqual([`b-${xs[0].task_hash.slice(0, 8)}-r1`, `b-${xs[0].task_hash.slice(0, 8)}-r2`, `b-${xs[0].task_hash.slice(0, 8)}-r3`])
    expect(new Set(xs.map((x) => x.task_hash)).size).toBe(1)
  })

  it('repeat times a sweep: every point repeated, the repeat after the point in the name', () => {
    const xs = plan([collected({ repeat: 2, sweep: { 'load.concurrency': [1, 2] } })])
    expect(xs.map((x) => x.name)).toEqual(['b [load.concurrency=1] #1', 'b [load.concurrency=1] #2', 'b [load.concurrency=2] #1', 'b [load.concurrency=2] #2'])
    expect(new Set(xs.map((x) => x.id)).size).toBe(4)
    expect(xs[0].task_hash).toBe(xs[1].task_hash)
    expect(xs[2].task_hash).toBe(xs[3].task_hash)
    expect(xs[0].task_hash).not.toBe(xs[2].task_hash)
  })

  it('two benches with the same name and options still get unique ids', () => {
    const xs = plan([collected({}), collected({})])
    expect(xs).toHaveLength(2)
    expect(xs[1].id).toBe(`${xs[0].id}~2`)
    expect(xs[0].task_hash).toBe(xs[1].task_hash)
  })
})

describe('task_hash', () => {
  it('is stable across two plans and ignores the order options were written in', () => {
    const a = plan([collected({ load: { concurrency: 2, burstiness: 1.5 }, generation: { maxTokens: 16 } })])[0]
    const b = plan([collected({ generation: { maxTokens: 16 }, load: { burstiness: 1.5, concurrency: 2 } })])[0]
    expect(a.task_hash).toMatch(/^[0-9a-f]{16}$/)
    expect(b.task_hash).toBe(a.task_hash)
  })

  it('changes when an option that runs changes', () => {
    const a = plan([collected({ generation: { maxTokens: 16 } })])[0]
    const b = plan([collected({ generation: { maxTokens: 17 } })])[0]
    const c = plan([collected({ generation: { maxTokens: 16 }, probes: ['rapl'] })])[0]
    expect(b.task_hash).not.toBe(a.task_hash)
    expect(c.task_hash).not.toBe(a.task_hash)
  })

  it('does not change with the plan-shaping keys (repeat), or with where an option was set', () => {
    const a = plan([collected({ load: { concurrency: 2 } })])[0]
    const repeated = plan([collected({ load: { concurrency: 2 }, repeat: 2 })])[0]
    const fromCli = plan([collected({})], { flags: { 'load.concurrency': '2' } })[0]
    const swept = plan([collected({ sweep: { 'load.concurrency': [2] } })])[0]
    expect(repeated.task_hash).toBe(a.task_hash)
    expect(fromCli.task_hash).toBe(a.task_hash)
    expect(swept.task_hash).toBe(a.task_hash)
  })
})

describe('bad sweeps', () => {
  it('a value of the wrong type: BENCH_INVALID naming the bench and the sweep point', () => {
    const e = planError([collected({ sweep: { 'load.concurrency': [1, 'two'] } })])
    expect(e.code).toBe('BENCH_INVALID')
    expect(e.message).toBe('benchmarks/s.bench.ts:7: bench("b") sweep point [load.concurrency=two]: load.concurrency: expected number, got string ("two")')
  })

  it('an unknown swept key: the closest option', () => {
    const e = planError([collected({ sweep: { 'load.concurency': [1, 2] } })])
    expect(e.code).toBe('BENCH_INVALID')
    expect(e.message).toBe('benchmarks/s.bench.ts:7: bench("b") sweep point [load.concurency=1]: unknown key "load.concurency" (did you mean "load.concurrency"?)')
  })
})

describe('env and CLI over a sweep', () => {
  it('a CLI flag on a swept key wins, and every point says so in config_warnings', () => {
    const xs = plan([collected({ sweep: { 'load.concurrency': [1, 2] } })], { flags: { 'load.concurrency': '8' } })
    expect(xs.map((x) => x.config.load.concurrency)).toEqual([8, 8])
    expect(xs.map((x) => x.config_warnings)).toEqual([['command line sets load.concurrency, overriding the sweep value 1'], ['command line sets load.concurrency, overriding the sweep value 2']])
    expect(xs[0].provenance['load.concurrency']).toEqual({ value: 8, source: 'cli', source_detail: '--load.concurrency' })
  })

  it('an env var on a swept key: the warning names the environment', () => {
    const xs = plan([collected({ sweep: { 'generation.maxTokens': [16] } })], { env: { LLEM_GENERATION__MAX_TOKENS: '8' } })
    expect(xs[0].config.generation.maxTokens).toBe(8)
    expect(xs[0].config_warnings).toEqual(['environment sets generation.maxTokens, overriding the sweep value 16'])
  })

  it('a flag on another key gives no warning', () => {
    const xs = plan([collected({ sweep: { 'load.concurrency': [1, 2] } })], { flags: { 'generation.maxTokens': '8' } })
    expect(xs.map((x) => x.config_warnings)).toEqual([[], []])
  })
})

describe('sweeps over keys inside the backend', () => {
  it('a sweep over backend.threads refines the bench backend per point', async () => {
    const { buildPlan } = await import('../core/plan/plan.js')
    const { buildOverrideLayers } = await import('../core/config/overrides.js')
    const o = buildOverrideLayers({}, {})
    const bench = { file: '/p/a.bench.ts', name: 'b', suites: [], mode: 'run' as const, location: '/p/a.bench.ts:1', kind: 'bench' as const,
      options: { backend: { name: 'llama-cpp', batchSize: 64 }, dataset: { prompts: ['x'] }, sweep: { 'backend.threads': [1, 2] } } }
    const xs = buildPlan({ benches: [bench], rootDir: '/p', configFile: null, config: {}, env: o.env, cli: o.cli, cliOverrides: {} })
    expect(xs.map((x) => x.config.backend)).toEqual([{ name: 'llama-cpp', batchSize: 64, threads: 1 }, { name: 'llama-cpp', batchSize: 64, threads: 2 }])
    expect(xs[0].task_hash).not.toBe(xs[1].task_hash)
    expect(xs[1].provenance['backend.threads'].source).toBe('sweep')
  })
})

describe('sweeps over a field deep inside an object', () => {
  it('a sweep over dataset.synthetic.prefix.count sets that field and keeps the rest of the dataset', async () => {
    const { buildPlan } = await import('../core/plan/plan.js')
    const { buildOverrideLayers } = await import('../core/config/overrides.js')
    const o = buildOverrideLayers({}, {})
    const bench = { file: '/p/a.bench.ts', name: 'b', suites: [], mode: 'run' as const, location: '/p/a.bench.ts:1', kind: 'bench' as const,
      options: { backend: 'llama-cpp', dataset: { synthetic: { prefix: { count: 1, tokens: 320 }, suffixTokens: 64, n: 24 } }, sweep: { 'dataset.synthetic.prefix.count': [1, 24] } } }
    const xs = buildPlan({ benches: [bench], rootDir: '/p', configFile: null, config: {}, env: o.env, cli: o.cli, cliOverrides: {} })
    const synthetic = xs.map((x) => (x.config.dataset as { synthetic: Record<string, unknown> }).synthetic)
    expect(synthetic.map((s) => s.prefix)).toEqual([{ count: 1, tokens: 320 }, { count: 24, tokens: 320 }])
    expect(synthetic.map((s) => [s.suffixTokens, s.n])).toEqual([[64, 24], [64, 24]])
    expect(xs[1].provenance['dataset.synthetic.prefix.count']).toMatchObject({ value: 24, source: 'sweep' })
    expect(xs[1].provenance['dataset.synthetic.prefix.tokens']).toMatchObject({ value: 320, source: 'bench' })
  })

  it('--dataset.synthetic.n from the command line refines the synthetic dataset of the bench', async () => {
    const { buildPlan } = await import('../core/plan/plan.js')
    const { buildOverrideLayers } = await import('../core/config/overrides.js')
    const o = buildOverrideLayers({}, { 'dataset.synthetic.n': '5' })
    const bench = { file: '/p/a.bench.ts', name: 'b', suites: [], mode: 'run' as const, location: '/p/a.bench.ts:1', kind: 'bench' as const,
      options: { backend: 'llama-cpp', dataset: { synthetic: { prefix: { count: 2, tokens: 100 }, suffixTokens: 16, n: 24 } } } }
    const [x] = buildPlan({ benches: [bench], rootDir: '/p', configFile: null, config: {}, env: o.env, cli: o.cli, cliOverrides: {} })
    expect((x.config.dataset as { synthetic: Record<string, unknown> }).synthetic).toMatchObject({ prefix: { count: 2, tokens: 100 }, suffixTokens: 16, n: 5 })
  })

  it('a sweep over dataset.synthetic as a whole still replaces the synthetic dataset', async () => {
    const { buildPlan } = await import('../core/plan/plan.js')
    const { buildOverrideLayers } = await import('../core/config/overrides.js')
    const o = buildOverrideLayers({}, {})
    const bench = { file: '/p/a.bench.ts', name: 'b', suites: [], mode: 'run' as const, location: '/p/a.bench.ts:1', kind: 'bench' as const,
      options: { backend: 'llama-cpp', dataset: { prompts: ['x'] }, sweep: { 'dataset.synthetic': [{ inputTokens: 8, n: 3 }] } } }
    const [x] = buildPlan({ benches: [bench], rootDir: '/p', configFile: null, config: {}, env: o.env, cli: o.cli, cliOverrides: {} })
    expect(x.config.dataset).not.toHaveProperty('prompts')
    expect((x.config.dataset as { synthetic: Record<string, unknown> }).synthetic).toMatchObject({ inputTokens: 8, n: 3 })
  })
})
