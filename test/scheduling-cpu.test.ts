/** On a machine without GPUs: experiments run one at a time by default, side by side with --max-parallel. */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const BENCH = `import { bench } from 'llem'
bench('cpu', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 40 }, sweep: { 'load.seed': [1, 2] } })
bench('dp', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 20 }, parallel: { data: 2 } })
`

async function run(args: string[]) {
  const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/c.bench.ts': BENCH })
  const r = await runCli(dir, ['bench', ...args])
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).filter((d) => !d.startsWith('.'))[0])
  const aggs = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
  const manifest = JSON.parse(readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  return { r, aggs, manifest }
}
const overlap = (a: { start_time: string; end_time: string }, b: { start_time: string; end_time: string }) =>
  Date.parse(a.start_time) < Date.parse(b.end_time) && Date.parse(b.start_time) < Date.parse(a.end_time)

describe('scheduling on the CPU slot', () => {
  it('one at a time by default; the data-parallel shards still run side by side', async () => {
    const { r, aggs, manifest } = await run([])
    expect(r.code, r.stderr).toBe(0)
    const cpu = aggs.filter((x) => x.bench.name === 'cpu')
    expect(overlap(cpu[0], cpu[1])).toBe(false)
    expect(cpu.every((x) => x.shared_energy === null)).toBe(true)
    const dp = aggs.find((x) => x.bench.name === 'dp')
    // side by side: the shards' sessions overlap; the aggregate judges overlap on their measured windows
    const [s0, s1] = dp.process_results.map((p: { timestamps: { start: string; end: string } }) => ({ start_time: p.timestamps.start, end_time: p.timestamps.end }))
    expect(overlap(s0, s1)).toBe(true)
    const [w0, w1] = dp.process_results.map((p: { measured_window: { start_unix_ms: number; end_unix_ms: number } }) => p.measured_window)
    expect(dp.aggregation.temporal_overlap_verified).toBe(w0.start_unix_ms < w1.end_unix_ms && w1.start_unix_ms < w0.end_unix_ms)
    expect(dp.total_output_tokens).toBe(20 * 16)
    expect(manifest.run_options).toMatchObject({ order: 'grouped', maxParallel: null, devices: 'all' })
  })

  it('--max-parallel 2 runs two CPU experiments at the same time, flagged as sharing CPU energy', async () => {
    const { aggs } = await run(['--max-parallel', '2', '-t', '^cpu'])
    expect(aggs).toHaveLength(2)
    expect(overlap(aggs[0], aggs[1])).toBe(true)
    expect(aggs[0].shared_energy.components).toEqual(['cpu', 'ram'])
  })
})
