/**
 * `llem list`'s summary counts benches as the user wrote them: three entries of one defineBench([...])
 * array are three benches (they share the file's place, and were counted as one), a bench with a sweep
 * and repeats is one bench of several experiments.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const ENTRY = (name: string) => `{ name: '${name}', backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } }`

describe('llem list: the bench count', () => {
  it('an array of defineBench entries is as many benches; a swept, repeated bench is one', async () => {
    const dir = makeProject({
      'llem.config.ts': 'export default {}\n',
      'benchmarks/defined.bench.ts': `import { defineBench } from 'llem'\nexport default defineBench([${['a', 'b', 'c'].map(ENTRY).join(', ')}])\n`,
      'benchmarks/called.bench.ts': `import { bench } from 'llem'\nbench('d', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] }, sweep: { 'load.concurrency': [1, 2] }, repeat: 2 })\nbench('e', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n`,
    })
    const r = await runCli(dir, ['list'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^2 files, 5 benches, 8 experiments \(8 to run\)$/m)
  }, 60_000)
})
