/**
 * The sweep view end to end on a real llama-server (issue 17, item 9): a concurrency sweep with a
 * generous SLO and the same sweep under an SLO no request can meet (10 µs end to end), through
 * `llem bench` (console, results.json, report.html) and `llem compare` of the run against itself.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, runCli } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

const bench = (name: string, slo: string) =>
  `bench(${JSON.stringify(name)}, { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN'))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', extraBody: { cache_prompt: false } }, model: { path: process.env.TINY_MODEL }, dataset: { prompts: ['Hello there', 'Tell me a story'] }, load: { requests: 12 }, sweep: { 'load.concurrency': [1, 2] }, slo: ${slo} })\n`

type Point = { run: string; task_hash: string; energy_per_token_j: number; latency_p50_ms: number; latency_p99_ms: number; meets_slo: boolean | null; on_frontier_p50: boolean; on_frontier_p99: boolean }

describe('the time-energy sweep view on llama-server', () => {
  it('frontiers and the best setting under the SLO in the console, results.json, the HTML report and llem compare', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default {
  measurement: { baseline: { seconds: 0.3 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
  reporters: ['console', 'json', 'html'],
}
`,
      'benchmarks/s.bench.ts': `import { bench } from 'llem'\n${bench('loose', '{ e2eMs: 60000 }')}${bench('strict', '{ e2eMs: 0.01 }')}`,
    })
    const env = { LLAMA_SERVER_BIN: bin, TINY_MODEL: model }
    const r = await runCli(dir, ['bench'], env)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const root = path.join(dir, 'llem-results')
    const runDir = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
    const report = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'))
    const groups = report.pareto.groups as { bench: string; latency: string; points: Point[]; best_under_slo: { task_hash: string } | null; best_reason: string | null }[]
    expect(groups.map((g) => g.bench).sort()).toEqual(['loose', 'strict'])
    for (const g of groups) {
      expect(g.latency).toBe('e2e')
      expect(g.points).toHaveLength(2)
      // each point is its result's own figures: headline J/token, E2E median and p99
      for (const p of g.points) {
        const res = report.results.find((x: { task_hash: string }) => x.task_hash === p.task_hash)
        expect(p.energy_per_token_j).toBe(res.avg_energy_per_token_j)
        expect(p.energy_per_token_j).toBeGreaterThan(0)
        expect(p.latency_p50_ms).toBe(res.latency_stats.e2e_median_ms)
        expect(p.latency_p99_ms).toBe(res.latency_stats.e2e_p99_ms)
      }
      // of two settings, one is off a frontier only when the other is at least as good on both counts
      const [a, b] = g.points
      const beats = (x: Point, y: Point, k: 'latency_p50_ms' | 'latency_p99_ms') => x.energy_per_token_j <= y.energy_per_token_j && x[k] <= y[k] && (x.energy_per_token_j < y.energy_per_token_j || x[k] < y[k])
      expect(a.on_frontier_p50).toBe(!beats(b, a, 'latency_p50_ms'))
      expect(b.on_frontier_p50).toBe(!beats(a, b, 'latency_p50_ms'))
      expect(a.on_frontier_p99).toBe(!beats(b, a, 'latency_p99_ms'))
    }
    // a minute end to end: every request of both settings meets it, so the best is the lower J/token
    const loose = groups.find((g) => g.bench === 'loose')!
    expect(loose.points.every((p) => p.meets_slo === true)).toBe(true)
    const cheapest = [...loose.points].sort((x, y) => x.energy_per_token_j - y.energy_per_token_j)[0]
    expect(loose.best_under_slo!.task_hash).toBe(cheapest.task_hash)
    // 10 µs end to end: no request can, so no setting meets it and the reason says so
    const strict = groups.find((g) => g.bench === 'strict')!
    expect(strict.points.every((p) => p.meets_slo === false)).toBe(true)
    expect(strict.best_under_slo).toBeNull()
    expect(strict.best_reason).toMatch(/none of the 2 settings had 99\.0% of its requests meet the SLO/)

    expect(r.stdout).toMatch(/Time-energy trade-off: loose \(J\/token against E2E latency/)
    expect(r.stdout).toMatch(/Best under the SLO \(E2E <= 60000 ms for 99\.0% of requests\): load\.concurrency=[12], /)
    expect(r.stdout).toMatch(/Best under the SLO: none \(none of the 2 settings/)
    const html = readFileSync(path.join(runDir, 'report.html'), 'utf8')
    expect(html.match(/<section class="trade-off"/g)).toHaveLength(2)
    expect(html).toContain(`data-task-hash="${loose.best_under_slo!.task_hash}" data-frontier="true" data-best="true"`)

    // llem compare of the run against itself: both runs' settings in one view per bench, labelled
    const cmp = await runCli(dir, ['compare', runDir, runDir, '--json'], env)
    expect(cmp.code, cmp.stderr).toBe(0)
    const view = JSON.parse(cmp.stdout).pareto.groups.find((g: { bench: string }) => g.bench === 'loose')
    expect(view.points.map((p: Point) => p.run).sort()).toEqual(['baseline', 'baseline', 'current', 'current'])
    const text = await runCli(dir, ['compare', runDir, runDir], env)
    expect(text.stdout).toMatch(/Time-energy trade-off: loose/)
    expect(text.stdout).toMatch(/(baseline|current): load\.concurrency=[12]/)
  }, 300_000)
})
