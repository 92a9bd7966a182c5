/**
 * The sweep view on hand-built results whose frontier is known by construction: five settings of one
 * bench (one of them repeated twice), their J/token, E2E p50/p99 and SLO attainment chosen so that
 * exactly A, B and C are unbeaten at p50, A, B, C and D at p99, and B (the cheapest of those whose
 * requests met the SLO) is the best under it; a failed setting is left out with its reason.
 */
import { describe, expect, it } from 'vitest'
import { paretoSummary } from '../core/results/pareto.js'
import { paretoLines, paretoMarkdown } from '../core/results/pareto-text.js'
import type { AggregatedResult } from '../core/results/schema.js'
import { tradeOffHtml } from '../plugins/reporters/html/pareto.js'
import { completedResult, failedResult } from './fixtures/results.js'

type Setting = { id: string; c: number; j: number; p50: number; p99: number; att: number; ttft?: [number, number] }

function result(s: Setting, extra: { slo?: object; pareto?: object; bench?: string } = {}): AggregatedResult {
  const bench = extra.bench ?? 'sweep > serve'
  return {
    ...completedResult,
    experiment_id: s.id, experiment_name: `serve [load.concurrency=${s.c}]`, task_hash: `hash-c${s.c}`, sweep_point: { 'load.concurrency': s.c },
    bench: { ...completedResult.bench, full_name: bench },
    avg_energy_per_token_j: s.j,
    latency_stats: { ...completedResult.latency_stats!, e2e_median_ms: s.p50, e2e_p99_ms: s.p99, ttft_median_ms: s.ttft?.[0] ?? 10, ttft_p99_ms: s.ttft?.[1] ?? 20 },
    extended_metrics: { request_latency: { e2e_ms: null, slo_attainment: s.att, goodput_requests_per_second: null } } as AggregatedResult['extended_metrics'],
    effective_config: { ...completedResult.effective_config, slo: extra.slo ?? { ttftMs: null, tpotMs: null, e2eMs: 500 }, ...(extra.pareto ? { pareto: extra.pareto } : {}) },
  }
}

const A: Setting = { id: 'a', c: 1, j: 1.0, p50: 100, p99: 200, att: 1 }
const B1: Setting = { id: 'b1', c: 2, j: 0.4, p50: 190, p99: 290, att: 1 }
const B2: Setting = { id: 'b2', c: 2, j: 0.6, p50: 210, p99: 310, att: 0.99 }
const C: Setting = { id: 'c', c: 8, j: 0.3, p50: 400, p99: 900, att: 0.5 }
const D: Setting = { id: 'd', c: 3, j: 0.6, p50: 250, p99: 250, att: 0.99 }
const E: Setting = { id: 'e', c: 4, j: 0.8, p50: 300, p99: 400, att: 0.97 }
const sweep = (extra = {}) => [A, B1, B2, C, D, E].map((s) => result(s, extra))
const failed: AggregatedResult = { ...failedResult, bench: { ...failedResult.bench, full_name: 'sweep > serve' }, experiment_name: 'serve [load.concurrency=16]' }

describe('the time-energy sweep view', () => {
  it('marks the p50 and p99 frontiers and the lowest J/token meeting the SLO', () => {
    const s = paretoSummary({ current: [...sweep(), failed] })
    expect(s.groups).toHaveLength(1)
    const g = s.groups[0]
    expect(g.latency).toBe('e2e')
    const by = (c: number) => g.points.find((p) => p.sweep_point['load.concurrency'] === c)!
    // B's two repeats pooled into one point: their mean J/token, p50 and attainment
    expect(by(2).repeats).toBe(2)
    expect(by(2).energy_per_token_j).toBeCloseTo(0.5, 12)
    expect(by(2).latency_p50_ms).toBeCloseTo(200, 12)
    expect(by(2).slo_attainment).toBeCloseTo(0.995, 12)
    expect(g.points.filter((p) => p.on_frontier_p50).map((p) => p.sweep_point['load.concurrency']).sort()).toEqual([1, 2, 8])
    expect(g.points.filter((p) => p.on_frontier_p99).map((p) => p.sweep_point['load.concurrency']).sort()).toEqual([1, 2, 3, 8])
    expect(g.points.map((p) => p.meets_slo)).toEqual([false, true, true, false, true])
    expect(g.best_under_slo).toMatchObject({ task_hash: 'hash-c2', energy_per_token_j: 0.5 })
    expect(g.excluded).toEqual([{ name: 'serve [load.concurrency=16]', reason: 'not completed' }])
  })

  it('the SLO\'s attainment decides what meets it: at 0.999 only A does', () => {
    const g = paretoSummary({ current: sweep({ slo: { e2eMs: 500, attainment: 0.999 } }) }).groups[0]
    expect(g.best_under_slo?.task_hash).toBe('hash-c1')
  })

  it('without an SLO: the frontiers, and no best setting with the reason', () => {
    const g = paretoSummary({ current: sweep({ slo: { ttftMs: null, tpotMs: null, e2eMs: null } }) }).groups[0]
    expect(g.best_under_slo).toBeNull()
    expect(g.best_reason).toMatch(/no SLO set/)
    expect(g.points.every((p) => p.meets_slo === null)).toBe(true)
    expect(g.points.filter((p) => p.on_frontier_p50)).toHaveLength(3)
  })

  it('pareto.latency picks the latency traded against: TTFT reverses the order here', () => {
    const ttft: Record<string, [number, number]> = { a: [50, 60], b1: [10, 20], b2: [10, 20], c: [5, 6], d: [40, 40], e: [1, 2] }
    const g = paretoSummary({ current: [A, B1, B2, C, D, E].map((s) => result({ ...s, ttft: ttft[s.id] }, { pareto: { latency: 'ttft' } })) }).groups[0]
    expect(g.latency).toBe('ttft')
    // E (0.8 J, 1 ms) and C (0.3 J, 5 ms) beat everything else on J/token and TTFT p50
    expect(g.points.filter((p) => p.on_frontier_p50).map((p) => p.sweep_point['load.concurrency']).sort()).toEqual([4, 8])
  })

  it('benches are apart: a bench with one setting gets its own group, shown nowhere as a trade-off', () => {
    const s = paretoSummary({ current: [...sweep(), result({ ...A, id: 'x' }, { bench: 'other > one' })] })
    expect(s.groups.map((g) => g.bench)).toEqual(['sweep > serve', 'other > one'])
    expect(paretoLines(s).join('\n')).not.toMatch(/other > one/)
  })

  it('across two runs (llem compare): each run\'s settings are points of one frontier', () => {
    const current = sweep().map((r) => (r.task_hash === 'hash-c8' ? { ...r, avg_energy_per_token_j: 0.45, latency_stats: { ...r.latency_stats!, e2e_median_ms: 150, e2e_p99_ms: 240 }, extended_metrics: { request_latency: { e2e_ms: null, slo_attainment: 1, goodput_requests_per_second: null } } as AggregatedResult['extended_metrics'] } : r))
    const g = paretoSummary({ baseline: sweep(), current }).groups[0]
    expect(g.points).toHaveLength(10)
    // the current run's concurrency 8 now beats every other point but A at p50 and meets the SLO
    expect(g.best_under_slo).toMatchObject({ run: 'current', task_hash: 'hash-c8' })
    expect(g.points.filter((p) => p.on_frontier_p50).map((p) => `${p.run}:${p.sweep_point['load.concurrency']}`).sort()).toEqual(['baseline:1', 'baseline:8', 'current:1', 'current:8'])
    expect(paretoMarkdown({ ...paretoSummary({ baseline: sweep(), current }) }, { runs: true })).toMatch(/\*\*Best under the SLO .*current: load\.concurrency=8/)
  })

  it('console text and HTML name the frontier and the best setting', () => {
    const s = paretoSummary({ current: sweep() })
    const text = paretoLines(s).join('\n')
    expect(text).toMatch(/Time-energy trade-off: sweep > serve \(J\/token against E2E latency/)
    expect(text).toMatch(/^\*\+ {2}load\.concurrency=2 +0\.500 +200 +300 +99\.5% meets$/m)
    expect(text).toMatch(/^ \+ {2}load\.concurrency=3 /m)
    expect(text).toMatch(/^ {4}load\.concurrency=4 .*97\.0% misses$/m)
    expect(text).toMatch(/Best under the SLO \(E2E <= 500 ms for 99\.0% of requests\): load\.concurrency=2, 0\.500 J\/token, E2E p50 200 ms, p99 300 ms/)
    const html = tradeOffHtml(s)
    expect(html.match(/data-best="true"/g)).toHaveLength(2)
    expect(html).toMatch(/data-task-hash="hash-c2" data-frontier="true" data-best="true"/)
    expect(html).toMatch(/data-task-hash="hash-c4" data-frontier="false" data-best="false"/)
    expect(html).toMatch(/<tr class="best-under-slo"><td>load\.concurrency=2<\/td>/)
  })
})
