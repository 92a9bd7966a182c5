/**
 * Adaptive series, the decisions: a capacity sweep (load.profile 'sweep') and an SLO search
 * ('slo-search') are each one bench whose experiments are made one at a time, the next from the
 * results of those before it. This file holds what is pure: the first step (planned with the rest of
 * the run), the rates of a sweep, the bisection. series.ts runs them.
 *
 * Sweep (GuideLLM's sweep profile, with llem's names): step 1 runs closed loop at 1 in flight (the
 * synchronous rate), step 2 sends every request at once up to load.concurrency (the max throughput),
 * then `points` open-loop rates evenly spaced from the synchronous rate up to maxRateFactor x the max
 * throughput, the last at that top.
 *
 * SLO search over rate: 1 in flight first (when even that misses the targets, no load meets them),
 * the max throughput R, then the rate R itself; when it misses, bisection between 0 and R until the
 * bracket is no wider than the tolerance; the answer is the highest rate run that met the targets.
 * Over concurrency: 1 in flight, then load.concurrency, then integer bisection between them.
 */
import type { ResolvedExperimentOptions } from '../config/defaults.js'
import type { ProvenanceEntry } from '../config/layers.js'
import { InputError } from '../errors.js'
import type { SeriesInfo } from '../results/schema.js'
import { profileOptions, type ProfileOptions } from './series-options.js'

export interface SeriesStep {
  load: { concurrency: number; rate: number | 'inf' | null }
  /** added to the experiment's name: "[sweep 3/10: rate 4.20/s]" */
  label: string
  info: Omit<SeriesInfo, 'group'>
}

export const fmtRate = (r: number) => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2))

export function kindOf(o: ProfileOptions): SeriesInfo['kind'] {
  return o.profile === 'sweep' ? 'capacity-sweep' : 'slo-search'
}

/** how many members a sweep has in all (a search's count depends on what it finds) */
export function sweepSize(o: ProfileOptions): number {
  return o.points + 2
}

export function stepLabel(kind: SeriesInfo['kind'], step: number, of: number | null, what: string): string {
  return kind === 'capacity-sweep' ? `[sweep ${step}/${of}: ${what}]` : `[slo-search ${step}: ${what}]`
}

export function makeStep(o: ProfileOptions, step: number, role: SeriesInfo['role'], load: SeriesStep['load'], reason: string, cap: number): SeriesStep {
  const kind = kindOf(o)
  const of = kind === 'capacity-sweep' ? sweepSize(o) : null
  const what = role === 'synchronous' ? '1 in flight' : role === 'throughput' ? 'max throughput' : role === 'rate' ? `rate ${fmtRate(load.rate as number)}/s` : `concurrency ${load.concurrency}`
  return { load, label: stepLabel(kind, step, of, what), info: { kind, step, of, role, rate: load.rate, concurrency: load.concurrency, cap, reason } }
}

/**
 * The first step of a sweep or a search, or null for an ordinary experiment. Checks what the series
 * needs (a cap on requests in flight, SLO targets) and refuses what it decides itself (load.rate).
 */
export function firstSeriesStep(config: ResolvedExperimentOptions, provenanceOf: (key: string) => ProvenanceEntry | undefined, where: string): SeriesStep | null {
  const o = profileOptions(config.load)
  if (o.profile === 'fixed') return null
  const set = (key: string) => (provenanceOf(key)?.source ?? 'default') !== 'default'
  if (!set('load.concurrency') || config.load.concurrency < 2)
    throw new InputError('BENCH_INVALID', `${where}: load.profile '${o.profile}' needs load.concurrency set to at least 2: the most requests in flight (the max-throughput step sends every request at once up to it, and it caps each rate step${o.search.over === 'concurrency' ? '; a search over concurrency searches up to it' : ''})`)
  if (set('load.rate') && config.load.rate !== null)
    throw new InputError('BENCH_INVALID', `${where}: load.rate is decided by load.profile '${o.profile}' at run time: remove it (load.concurrency is the cap on requests in flight)`)
  if (o.profile === 'slo-search' && config.slo.ttftMs === null && config.slo.tpotMs === null && config.slo.e2eMs === null)
    throw new InputError('BENCH_INVALID', `${where}: load.profile 'slo-search' needs a target to search for: set slo.ttftMs, slo.tpotMs or slo.e2eMs`)
  if (o.profile === 'slo-search' && o.search.over === 'rate' && typeof o.search.tolerance === 'string' && !(parseFloat(o.search.tolerance) > 0))
    throw new InputError('BENCH_INVALID', `${where}: load.search.tolerance ${o.search.tolerance} must be above 0%`)
  return makeStep(o, 1, 'synchronous', { concurrency: 1, rate: null }, 'closed loop at 1 in flight: the synchronous rate', config.load.concurrency)
}

/** the second step, the same for both kinds unless a search is over concurrency */
export function secondStep(o: ProfileOptions, cap: number): SeriesStep {
  if (o.profile === 'slo-search' && o.search.over === 'concurrency')
    return makeStep(o, 2, 'concurrency', { concurrency: cap, rate: null }, `closed loop at load.concurrency ${cap}: the top of the search`, cap)
  return makeStep(o, 2, 'throughput', { concurrency: cap, rate: 'inf' }, `every request at once, up to load.concurrency ${cap} in flight: the max throughput`, cap)
}

/** the sweep's open-loop rates: evenly spaced from the synchronous rate up to factor x the max, the last at the top */
export function sweepRates(sync: number, max: number, points: number, factor: number): number[] {
  const top = factor * max
  return Array.from({ length: points }, (_, i) => sync + ((i + 1) * (top - sync)) / points)
}

/** the rate tolerance in requests/s: absolute, or a percent of the measured max throughput */
export function rateTolerance(o: ProfileOptions, max: number): number {
  return typeof o.search.tolerance === 'number' ? o.search.tolerance : (parseFloat(o.search.tolerance) / 100) * max
}

/** the share of requests meeting the targets, each latency counted from the request's arrival where
 *  the schedule had one (the client queue included), so a cap on requests in flight hides no wait */
export function attainmentFromArrival(
  requests: { ok: boolean; ttft_ms: number | null; tpot_ms: number | null; e2e_ms: number | null; ttft_incl_queue_ms?: number | null; e2e_incl_queue_ms?: number | null }[],
  slo: ResolvedExperimentOptions['slo'],
): number | null {
  if (requests.length === 0) return null
  const meets = requests.filter((r) => {
    const ttft = r.ttft_incl_queue_ms ?? r.ttft_ms
    const e2e = r.e2e_incl_queue_ms ?? r.e2e_ms
    return r.ok && (slo.ttftMs === null || (ttft !== null && ttft <= slo.ttftMs)) && (slo.tpotMs === null || r.tpot_ms === null || r.tpot_ms <= slo.tpotMs) && (slo.e2eMs === null || (e2e !== null && e2e <= slo.e2eMs))
  })
  return meets.length / requests.length
}

/** What a planned series will do after its first member, for `llem list` and `--dry-run`. */
export function describePlannedSeries(config: ResolvedExperimentOptions, cap: number): string | null {
  const o = profileOptions(config.load)
  if (o.profile === 'fixed') return null
  const top = `max throughput (every request at once, up to ${cap} in flight)`
  if (o.profile === 'sweep')
    return `then ${top}, then ${o.points} open-loop rates from the synchronous rate up to ${o.maxRateFactor === 1 ? '' : `${o.maxRateFactor} x `}the max throughput, each stopped early if over-saturated: ${o.points + 2} experiments, rates decided at run time`
  const targets = (['ttftMs', 'tpotMs', 'e2eMs'] as const).filter((k) => config.slo[k] !== null).map((k) => `${k.replace('Ms', '')} <= ${config.slo[k]} ms`).join(', ')
  const meet = `${targets} for ${o.search.attainment * 100}% of requests`
  if (o.search.over === 'concurrency') return `then ${cap} in flight, then bisection over concurrency between 1 and ${cap} to the highest meeting ${meet}: concurrencies decided at run time`
  return `then ${top}, then that rate, then bisection over rate to within ${typeof o.search.tolerance === 'number' ? `${o.search.tolerance}/s` : `${o.search.tolerance} of the max throughput`}, for the highest rate meeting ${meet}: rates decided at run time`
}
