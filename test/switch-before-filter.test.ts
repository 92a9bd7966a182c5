/**
 * A switch or a bare --bail before a filter does not take the filter for its value: `llem bench
 * --dry-run perf` plans the benches of files matching perf (it planned every bench), `llem list --json
 * perf` lists them, `llem bench --bail perf` bails after one failure and filters by perf (it was
 * refused: "--bail: expected a non-negative integer, got perf").
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const BENCH = (name: string) => `import { bench } from 'llem'\nbench('${name}', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n`

describe('a switch before a filter', () => {
  it('leaves the filter a filter', async () => {
    const dir = makeProject({ 'llem.config.ts': 'export default {}\n', 'benchmarks/perf.bench.ts': BENCH('fast'), 'benchmarks/other.bench.ts': BENCH('slow') })
    const dry = await runCli(dir, ['bench', '--dry-run', 'perf'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('fast')
    expect(dry.stdout).not.toContain('slow')
    const list = await runCli(dir, ['list', '--json', 'perf'])
    expect(list.code, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout).experiments.map((x: { bench: { name: string } }) => x.bench.name)).toEqual(['fast'])
    for (const args of [['--dry-run', '--bail', 'perf'], ['--bail', '--dry-run', 'perf']]) {
      const bail = await runCli(dir, ['bench', ...args])
      expect(bail.code, bail.stderr).toBe(0)
      expect(bail.stdout).toContain('fast')
      expect(bail.stdout).not.toContain('slow')
    }
  }, 60_000)
})
