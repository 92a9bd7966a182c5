/**
 * The time-energy trade-off of a sweep: every setting a bench ran (engine settings, concurrency,
 * model, ... one point per task_hash, its repeats pooled) as J/token against a latency at p50 and at
 * p99; the Pareto frontier of each (the settings no other beats on both), and the setting with the
 * lowest J/token that meets the bench's SLO. Points are grouped by bench: a frontier across different
 * workloads would compare unlike things. `llem compare` puts two runs' points in one group per bench,
 * each labelled with its run.
 */
import type { AggregatedResult } from './schema.js'

export type ParetoLatency = 'ttft' | 'tpot' | 'itl' | 'e2e'
/** the frontier's latency when the bench's `pareto.latency` is not set: what a user waits for the whole answer */
export const DEFAULT_PARETO_LATENCY: ParetoLatency = 'e2e'
/** the share of requests that must meet every SLO target when the bench's `slo.attainment` is not set */
export const DEFAULT_SLO_ATTAINMENT = 0.99

interface Slo { ttftMs: number | null; tpotMs: number | null; e2eMs: number | null; attainment: number }

export interface ParetoPoint {
  /** the run it came from: 'current' unless two runs are compared */
  run: string
  name: string
  task_hash: string
  experiment_ids: string[]
  sweep_point: Record<string, unknown>
  repeats: number
  /** headline J/token (avg_energy_per_token_j), the mean over completed repeats */
  energy_per_token_j: number
  latency_p50_ms: number
  latency_p99_ms: number
  /** the share of requests meeting every SLO target (mean over repeats); null without an SLO */
  slo_attainment: number | null
  /** slo_attainment >= the SLO's attainment; null without an SLO */
  meets_slo: boolean | null
  on_frontier_p50: boolean
  on_frontier_p99: boolean
}

export interface ParetoGroup {
  bench: string
  latency: ParetoLatency
  slo: Slo | null
  points: ParetoPoint[]
  /** the lowest J/token among the points meeting the SLO; null with best_reason otherwise */
  best_under_slo: { run: string; name: string; task_hash: string; energy_per_token_j: number; latency_p50_ms: number; latency_p99_ms: number } | null
  best_reason: string | null
  /** completed settings left out: no J/token or no latency measured */
  excluded: { name: string; reason: string }[]
}

export interface ParetoSummary {
  /** J/token: each result's headline (avg_energy_per_token_j); latency: the group's own */
  energy_per_token: 'avg_energy_per_token_j'
  groups: ParetoGroup[]
}

const LATENCY_KEYS: Record<ParetoLatency, [string, string]> = {
  ttft: ['ttft_median_ms', 'ttft_p99_ms'], tpot: ['tpot_median_ms', 'tpot_p99_ms'], itl: ['itl_median_ms', 'itl_p99_ms'], e2e: ['e2e_median_ms', 'e2e_p99_ms'],
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {})

function latencyOf(r: AggregatedResult): ParetoLatency {
  const v = obj(r.effective_config.pareto).latency
  return v === 'ttft' || v === 'tpot' || v === 'itl' || v === 'e2e' ? v : DEFAULT_PARETO_LATENCY
}

function sloOf(r: AggregatedResult): Slo | null {
  const s = obj(r.effective_config.slo)
  const t = { ttftMs: num(s.ttftMs), tpotMs: num(s.tpotMs), e2eMs: num(s.e2eMs) }
  if (t.ttftMs === null && t.tpotMs === null && t.e2eMs === null) return null
  return { ...t, attainment: num(s.attainment) ?? DEFAULT_SLO_ATTAINMENT }
}

/** the points no other point beats: at most as much J/token and latency, and less of one */
export function frontierOf<T>(points: T[], x: (p: T) => number, y: (p: T) => number): Set<T> {
  const beats = (a: T, b: T) => x(a) <= x(b) && y(a) <= y(b) && (x(a) < x(b) || y(a) < y(b))
  return new Set(points.filter((p) => !points.some((q) => q !== p && beats(q, p))))
}

/** one point per (run, task_hash), from its completed repeats; null with the reason when unmeasured */
function pointOf(run: string, rs: AggregatedResult[], latency: ParetoLatency, slo: Slo | null): ParetoPoint | { name: string; reason: string } {
  const name = rs[0].experiment_name
  const done = rs.filter((r) => r.status === 'completed')
  const [k50, k99] = LATENCY_KEYS[latency]
  const e = done.map((r) => num(r.avg_energy_per_token_j))
  const l50 = done.map((r) => num((r.latency_stats as Record<string, unknown> | null)?.[k50]))
  const l99 = done.map((r) => num((r.latency_stats as Record<string, unknown> | null)?.[k99]))
  if (done.length === 0) return { name, reason: 'not completed' }
  if (e.some((v) => v === null)) return { name, reason: 'no energy per token measured' }
  if ([...l50, ...l99].some((v) => v === null)) return { name, reason: `no ${latency.toUpperCase()} p50/p99 measured` }
  const att = done.map((r) => num(r.extended_metrics?.request_latency?.slo_attainment))
  const attainment = slo && att.every((v) => v !== null) ? mean(att as number[]) : null
  return {
    run, name, task_hash: rs[0].task_hash, experiment_ids: rs.map((r) => r.experiment_id), sweep_point: rs[0].sweep_point, repeats: done.length,
    energy_per_token_j: mean(e as number[]), latency_p50_ms: mean(l50 as number[]), latency_p99_ms: mean(l99 as number[]),
    slo_attainment: attainment, meets_slo: slo === null || attainment === null ? null : attainment >= slo.attainment,
    on_frontier_p50: false, on_frontier_p99: false,
  }
}

/** The sweep view of one run's results, or of several runs' (`runs`: label -> results). */
export function paretoSummary(runs: Record<string, AggregatedResult[]>): ParetoSummary {
  const byBench = new Map<string, Map<string, { run: string; results: AggregatedResult[] }>>()
  for (const [run, results] of Object.entries(runs)) {
    for (const r of results) {
      const units = byBench.get(r.bench.full_name) ?? new Map()
      byBench.set(r.bench.full_name, units)
      const key = `${run}\u0000${r.task_hash}`
      const u = units.get(key) ?? { run, results: [] }
      u.results.push(r)
      units.set(key, u)
    }
  }
  const groups: ParetoGroup[] = []
  for (const [bench, units] of byBench) {
    const first = [...units.values()][0].results[0]
    const latency = latencyOf(first)
    const slo = sloOf(first)
    const points: ParetoPoint[] = []
    const excluded: ParetoGroup['excluded'] = []
    for (const u of units.values()) {
      const p = pointOf(u.run, u.results, latency, slo)
      if ('reason' in p) excluded.push(p)
      else points.push(p)
    }
    const f50 = frontierOf(points, (p) => p.energy_per_token_j, (p) => p.latency_p50_ms)
    const f99 = frontierOf(points, (p) => p.energy_per_token_j, (p) => p.latency_p99_ms)
    for (const p of points) {
      p.on_frontier_p50 = f50.has(p)
      p.on_frontier_p99 = f99.has(p)
    }
    points.sort((a, b) => a.energy_per_token_j - b.energy_per_token_j || a.latency_p50_ms - b.latency_p50_ms)
    const meeting = points.filter((p) => p.meets_slo === true)
    const best = meeting[0] ?? null
    const best_reason = best
      ? null
      : slo === null
        ? 'no SLO set (the bench\'s slo option: ttftMs, tpotMs, e2eMs)'
        : points.length === 0
          ? 'no setting has both J/token and latency measured'
          : `none of the ${points.length} settings had ${(slo.attainment * 100).toFixed(1)}% of its requests meet the SLO (slo.attainment)`
    groups.push({
      bench, latency, slo, points, excluded, best_reason,
      best_under_slo: best && { run: best.run, name: best.name, task_hash: best.task_hash, energy_per_token_j: best.energy_per_token_j, latency_p50_ms: best.latency_p50_ms, latency_p99_ms: best.latency_p99_ms },
    })
  }
  return { energy_per_token: 'avg_energy_per_token_j', groups }
}

/** A group is a trade-off worth showing when it holds two settings or more. */
export const showsTradeOff = (s: ParetoSummary) => s.groups.some((g) => g.points.length >= 2)
