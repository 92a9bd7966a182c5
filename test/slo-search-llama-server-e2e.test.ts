/**
 * An SLO search end to end through `llem bench` on the real llama-server (the managed `server`
 * backend, 2 slots, the 1M random llama): a loose TTFT target (2 s from arrival) that the tiny model
 * meets at a low rate, 95% attainment, a 30% tolerance so the search takes few steps. Step 1 runs 1 in
 * flight, step 2 every request at once (the max throughput R), step 3 the rate R; if R misses (the
 * over-saturation check may stop it), bisection tries R/2, then R/4 or 3R/4 as R/2 missed or met, and
 * the bracket is then within 30% of R. Whether a step met is judged here from its own requests (TTFT
 * from arrival within 2 s for 95% of them, completed, not stopped as over-saturated); the search must
 * end with an answer: the highest rate step that met, whose J/token is the one in its own result.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'
import { maxOf } from '../core/stats/extent.js'

interface Agg {
  status: string
  over_saturation?: { over_saturated: boolean }
  process_results: { requests: { ok: boolean; ttft_ms: number | null; ttft_incl_queue_ms?: number | null }[] }[]
  series: { rate: number | 'inf' | null }
}

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

describe('SLO search on llama-server', () => {
  it('bisects the rate under a loose TTFT target and ends with an answer step and its J/token', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/s.bench.ts': `import { bench } from 'llem'
bench('search', { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN'))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny' }, model: { path: process.env.TINY_MODEL },
  dataset: { prompts: ['the weather today', 'a short story about a cat'] }, generation: { maxTokens: 8 }, slo: { ttftMs: 2000 },
  load: { profile: 'slo-search', search: { attainment: 0.95, tolerance: '30%' }, concurrency: 8, requests: 100000, duration: 3, saturation: { windowSec: 1 } } })
`,
    })
    const r = await runCli(dir, ['bench'], { LLAMA_SERVER_BIN: bin, TINY_MODEL: model }, { timeoutMs: 300_000 })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
    const steps = readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8'))).sort((a, b) => a.series.step - b.series.step)
    expect(steps.map((a) => a.series.kind)).toEqual(steps.map(() => 'slo-search'))
    expect(steps.map((a) => a.series.role).slice(0, 3)).toEqual(['synchronous', 'throughput', 'rate'])
    expect(steps.length, `${steps.length} steps`).toBeGreaterThanOrEqual(3)
    expect(steps.length).toBeLessThanOrEqual(5)
    const max = steps[1].requests_per_second
    expect(max).toBeGreaterThan(0)
    expect(steps[2].series.rate).toBeCloseTo(max, 6)
    if (steps.length >= 4) expect(steps[3].series.rate).toBeCloseTo(max / 2, 6)
    const met = (a: Agg) => {
      const reqs = a.process_results.flatMap((p) => p.requests)
      const within = reqs.filter((q) => q.ok && (q.ttft_incl_queue_ms ?? q.ttft_ms ?? Infinity) <= 2000).length
      return a.status === 'completed' && a.over_saturation?.over_saturated !== true && reqs.length > 0 && within / reqs.length >= 0.95
    }
    if (steps.length === 5) expect(steps[4].series.rate).toBeCloseTo(met(steps[3]) ? (3 * max) / 4 : max / 4, 6)
    const highestMet = maxOf(steps.slice(2).filter(met).map((a) => a.series.rate as number))

    const [outcome] = JSON.parse(readFileSync(path.join(run, 'series.json'), 'utf8'))
    expect(outcome.kind).toBe('slo-search')
    expect(outcome.answer, `${outcome.reason}: ${JSON.stringify(outcome.points)} ${JSON.stringify(steps.map((a) => a.over_saturation))}`).not.toBeNull()
    const answer = steps.find((a) => a.experiment_id === outcome.answer.experiment_id)
    expect(answer, JSON.stringify(outcome.answer)).toBeDefined()
    expect(answer.status).toBe('completed')
    expect(outcome.answer.value).toBeCloseTo(answer.series.rate, 9)
    expect(outcome.answer.value).toBeCloseTo(highestMet, 9)
    expect(outcome.answer.attainment).toBeGreaterThanOrEqual(0.95)
    expect(outcome.answer.avg_energy_per_token_j).toBeGreaterThan(0)
    expect(outcome.answer.avg_energy_per_token_j).toBe(answer.avg_energy_per_token_j)
    expect(r.stderr).toContain('SLO search of search: highest rate')
    console.log(`llama-server SLO search: max ${max.toFixed(1)}/s; steps ${steps.map((a) => `${a.series.role}${typeof a.series.rate === 'number' ? ` ${a.series.rate.toFixed(1)}/s` : ''}${a.over_saturation?.over_saturated ? ' (over-saturated)' : ''}`).join(', ')}; answer ${outcome.answer.value.toFixed(1)}/s at ${outcome.answer.avg_energy_per_token_j.toPrecision(3)} J/token, attainment ${outcome.answer.attainment}`)
  }, 400_000)
})
