/**
 * A sweep point's provenance is kept as the few entries its layers changed over the bench's merged
 * layers (core/config/layers.ts, mergePointLayers) and made whole when read. Made whole it must say
 * what each leaf's layer was, in a Map's order (a replaced leaf moves to the end), with the leaves of
 * a replaced subtree gone, and reach every consumer of an experiment: spreading, JSON, a worker's
 * structured clone.
 */
import { describe, expect, it } from 'vitest'
import { mergeLayers, mergePointLayers, type OptionLayer } from '../core/config/layers.js'
import { buildPlan } from '../core/plan/plan.js'

const layer = (source: OptionLayer['source'], detail: string, values: Record<string, unknown>, details?: Record<string, string>): OptionLayer => ({ source, detail, values, ...(details ? { details } : {}) })

describe('a sweep point over the merged layers below it', () => {
  const below = mergeLayers([
    layer('default', 'llem default', { load: { concurrency: 1, seed: 0 }, backend: { name: 'llama-cpp', threads: 4 }, generation: { maxTokens: 64 } }),
    layer('bench', 'bench("b")', { generation: { maxTokens: 32 } }),
  ])

  it('a swept leaf says sweep, and moves to the end; the others keep their layer and place', () => {
    const p = mergePointLayers([layer('sweep', 'bench("b")', { load: { seed: 7 } }, { 'load.seed': 'sweep over load.seed' })], below).provenance
    expect(Object.entries(p.whole()).map(([k, e]) => [k, e.value, e.source, e.source_detail])).toEqual([
      ['load.concurrency', 1, 'default', 'llem default'],
      ['backend.name', 'llama-cpp', 'default', 'llem default'],
      ['backend.threads', 4, 'default', 'llem default'],
      ['generation.maxTokens', 32, 'bench', 'bench("b")'],
      ['load.seed', 7, 'sweep', 'sweep over load.seed'],
    ])
    expect(p.get('load.seed')?.value).toBe(7)
    expect(p.get('load.concurrency')?.source).toBe('default')
  })

  it('a backend of another name replaces the whole backend: the old one\'s leaves are gone', () => {
    const p = mergePointLayers([layer('cli', '--backend.name', { backend: { name: 'openai' } }, { 'backend.name': '--backend.name' })], below).provenance
    const whole = p.whole()
    expect(Object.keys(whole)).toEqual(['load.concurrency', 'load.seed', 'generation.maxTokens', 'backend.name'])
    expect(whole['backend.name']).toEqual({ value: 'openai', source: 'cli', source_detail: '--backend.name' })
    expect(p.get('backend.threads')).toBeUndefined()
    // below is never changed by a point
    expect(below.provenance['backend.threads']).toEqual({ value: 4, source: 'default', source_detail: 'llem default' })
  })

  it('a leaf set in place (the series rewrites load.concurrency after the merge) keeps its place', () => {
    const p = mergePointLayers([], below).provenance
    p.set('load.concurrency', { value: 1, source: 'sweep', source_detail: 'first step' })
    expect(Object.keys(p.whole())).toEqual(['load.concurrency', 'load.seed', 'backend.name', 'backend.threads', 'generation.maxTokens'])
    expect(p.whole()['load.concurrency'].source_detail).toBe('first step')
  })
})

describe('an experiment\'s provenance, made whole when read', () => {
  const experiments = buildPlan({
    benches: [{ kind: 'bench', name: 'b', file: '/p/benchmarks/b.bench.ts', location: '/p/benchmarks/b.bench.ts:3', suites: [], mode: 'run', options: { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] }, sweep: { 'load.seed': [1, 2] } } } as never],
    rootDir: '/p',
    configFile: null,
    config: {},
    env: layer('env', 'environment', {}),
    cli: layer('cli', 'command line', {}),
    cliOverrides: {},
  })

  it('is a plain enumerable property to spreading, JSON and structured clone', () => {
    expect(experiments).toHaveLength(2)
    const [a, b] = experiments
    expect(Object.keys(a)).toContain('provenance')
    expect(JSON.parse(JSON.stringify(a)).provenance['load.seed']).toEqual({ value: 1, source: 'sweep', source_detail: 'sweep over load.seed from bench("b") at benchmarks/b.bench.ts:3' })
    expect(structuredClone(b).provenance['load.seed'].value).toBe(2)
    expect({ ...b }.provenance['model']).toEqual({ value: { random: 'llama-1m' }, source: 'bench', source_detail: 'bench("b") at benchmarks/b.bench.ts:3' })
    // read twice: one record
    expect(a.provenance).toBe(a.provenance)
  })
})
