import { describe, expect, it } from 'vitest'
import type { CollectedBench } from '../core/api/collector.js'
import { namedBackends } from '../core/plan/named-backends.js'

const bench = (options: Record<string, unknown>, suiteOptions: Record<string, unknown> = {}): CollectedBench => ({ file: '/p/a.bench.ts', name: 'b', suites: [{ name: 's', options: suiteOptions, location: '/p/a.bench.ts:1' }] as unknown as CollectedBench['suites'], options, mode: 'run', location: '/p/a.bench.ts:2', kind: 'bench' })

describe('namedBackends: the built-in backends a plan can use, before planning', () => {
  it('reads benches, suites, the config and the flags, in both written forms', () => {
    const got = namedBackends([bench({ backend: 'llama-cpp' }, { backend: { name: 'openai' } })], [{ backend: 'vllm' }, {}, { backend: { name: 'server' } }])
    expect([...got!].sort()).toEqual(['llama-cpp', 'openai', 'server', 'vllm'])
  })
  it('reads the backends a sweep names', () => {
    const got = namedBackends([bench({ sweep: { backend: ['llama-cpp', { name: 'trtllm' }], 'backend.name': ['vllm'] } })], [])
    expect([...got!].sort()).toEqual(['llama-cpp', 'trtllm', 'vllm'])
  })
  it('a name it cannot read: null, so every built-in backend is loaded', () => {
    expect(namedBackends([bench({ backend: { name: 3 } })], [])).toBeNull()
    expect(namedBackends([bench({ sweep: { 'backend.name': 'x' } })], [])).toBeNull()
  })
})
