/**
 * A plan parses a config section once and shares the parsed form wherever the same section appears
 * again (core/plan/validate-point.ts), across sweep points and across benches. Sharing must never
 * carry one bench's options into another: each bench's experiments are the same whether it is
 * planned alone or after benches that set, sweep or break other options.
 */
import { describe, expect, it } from 'vitest'
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

  it('a bad sweep point after valid benches is refused with its own place', async () => {
    const r = await runCli(makeProject({ 'benchmarks/a.bench.ts': A, 'benchmarks/c.bench.ts': BAD }), ['list'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/benchmarks\/c\.bench\.ts:4: bench\("broken"\) sweep point \[load\.concurrency=-3\]: load\.concurrency/)
  })
})
