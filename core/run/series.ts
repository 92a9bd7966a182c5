/**
 * Adaptive series at run time: when a member of a capacity sweep or an SLO search finishes, its
 * result decides the next member (series-plan.ts says how), made here as an ordinary experiment with
 * its own id, name, config, task hash and result, and `series` saying how its load was decided. When
 * the series ends, its outcome (the sweep's rates, the search's answer with its J/token) is returned
 * for the manifest and the console. Members run one after another: each needs the one before.
 */
import type { Experiment } from '../plan/plan.js'
import { taskHash } from '../plan/task-hash.js'
import type { AggregatedResult, SeriesInfo } from '../results/schema.js'
import { profileOptions, type ProfileOptions } from './series-options.js'
import { attainmentFromArrival, fmtRate, makeStep, rateTolerance, secondStep, sweepRates, type SeriesStep } from './series-plan.js'

export interface SeriesPointSummary {
  experiment_id: string
  step: number
  role: SeriesInfo['role']
  rate: number | 'inf' | null
  concurrency: number
  status: string
  requests_per_second: number | null
  avg_energy_per_token_j: number | null
  over_saturated: boolean
  /** a search: the share meeting the targets from arrival, and whether it met `load.search.attainment` */
  attainment?: number | null
  meets?: boolean
}

export interface SeriesOutcome {
  kind: SeriesInfo['kind']
  group: string
  bench: string
  points: SeriesPointSummary[]
  /** the measured ends (requests/s): 1 in flight and every request at once */
  synchronous_rate: number | null
  max_throughput_rate: number | null
  /** a search: the highest rate (or concurrency) run that met the targets, and its result; null with `reason` */
  answer?: { over: 'rate' | 'concurrency'; value: number; experiment_id: string; requests_per_second: number | null; avg_energy_per_token_j: number | null; attainment: number | null } | null
  /** a search over rate: the bracket it ended with (requests/s) and the tolerance it bisected to */
  bracket?: { low: number; high: number | null; tolerance: number } | null
  reason: string
}

interface GroupState {
  first: Experiment
  o: ProfileOptions
  cap: number
  points: SeriesPointSummary[]
  sync: number | null
  max: number | null
  /** the sweep's rates, once the max throughput is known */
  rates: number[]
  /** search: the bracket, the best member so far, the tolerance */
  low: number
  high: number | null
  best: SeriesPointSummary | null
  tol: number
}

export class SeriesTracker {
  private groups = new Map<string, GroupState>()

  /** After `x` (a series member) finished with `agg`: the next member, or the series' outcome. */
  next(x: Experiment, agg: AggregatedResult): { next: Experiment | null; outcome: SeriesOutcome | null } {
    const info = x.series
    if (!info) return { next: null, outcome: null }
    let g = this.groups.get(info.group)
    if (!g) {
      if (info.step !== 1) return { next: null, outcome: null }
      g = { first: x, o: profileOptions(x.config.load), cap: info.cap, points: [], sync: null, max: null, rates: [], low: 0, high: null, best: null, tol: 0 }
      this.groups.set(info.group, g)
    }
    const p = summarise(x, agg, g)
    g.points.push(p)
    const step = decide(g, p)
    if ('end' in step) {
      this.groups.delete(info.group)
      return { next: null, outcome: outcomeOf(g, step.end) }
    }
    return { next: member(g, step), outcome: null }
  }
}

function summarise(x: Experiment, agg: AggregatedResult, g: GroupState): SeriesPointSummary {
  const info = x.series!
  const ok = agg.status === 'completed'
  const p: SeriesPointSummary = {
    experiment_id: x.id, step: info.step, role: info.role, rate: info.rate, concurrency: info.concurrency, status: agg.status,
    requests_per_second: agg.requests_per_second ?? null, avg_energy_per_token_j: agg.avg_energy_per_token_j,
    over_saturated: agg.over_saturation?.over_saturated === true,
  }
  if (g.o.profile === 'slo-search') {
    p.attainment = ok ? attainmentFromArrival(agg.process_results.flatMap((r) => r.requests), x.config.slo) : null
    p.meets = ok && !p.over_saturated && p.attainment !== null && p.attainment >= g.o.search.attainment
  }
  return p
}

type Decision = SeriesStep | { end: string }

function decide(g: GroupState, p: SeriesPointSummary): Decision {
  const o = g.o
  const n = p.step + 1
  const search = o.profile === 'slo-search'
  if (p.role === 'synchronous') {
    if (p.status !== 'completed' || p.requests_per_second === null) return { end: `the 1-in-flight step did not complete (${p.status}): there is no synchronous rate to go on from` }
    g.sync = p.requests_per_second
    if (search && !p.meets) return { end: `the targets are missed even at 1 request in flight (attainment ${pct(p.attainment)} < ${pct(o.search.attainment)}): no load meets them` }
    return secondStep(o, g.cap)
  }
  if (search && o.search.over === 'concurrency') return bisectConcurrency(g, p, n)
  if (p.role === 'throughput') {
    if (p.status !== 'completed' || p.requests_per_second === null) return { end: `the max-throughput step did not complete (${p.status}): there is no top rate` }
    g.max = p.requests_per_second
    if (!search) {
      g.rates = sweepRates(g.sync!, g.max, o.points, o.maxRateFactor)
      if (g.rates[g.rates.length - 1] <= g.sync!) return { end: `the max throughput (${fmtRate(g.max)}/s) is not above the synchronous rate (${fmtRate(g.sync!)}/s): there is no range to sweep` }
      return sweepStep(g, n, 0)
    }
    g.tol = rateTolerance(o, g.max)
    return makeStep(o, n, 'rate', { concurrency: g.cap, rate: g.max }, `the measured max throughput ${fmtRate(g.max)}/s, open loop: the top of the search`, g.cap)
  }
  if (!search) {
    const k = p.step - 2
    return k < g.rates.length ? sweepStep(g, n, k) : { end: `${g.rates.length} rates run` }
  }
  // a search over rate: p ran at a rate
  const rate = p.rate as number
  if (p.meets) {
    g.low = rate
    g.best = p
    if (g.high === null) return { end: `the max throughput ${fmtRate(rate)}/s itself meets the targets: no higher rate can be served` }
  } else g.high = rate
  const high = g.high!
  if (high - g.low <= g.tol) return { end: g.best ? `bisection bracket ${fmtRate(g.low)}-${fmtRate(high)}/s is within the tolerance ${fmtRate(g.tol)}/s` : `no rate met the targets down to ${fmtRate(high)}/s (within the tolerance ${fmtRate(g.tol)}/s of 0)` }
  const mid = (g.low + high) / 2
  return makeStep(o, n, 'rate', { concurrency: g.cap, rate: mid }, `bisection: ${g.best ? `${fmtRate(g.low)}/s met the targets` : 'no rate has met the targets yet (low end 0)'}, ${fmtRate(high)}/s missed them; midpoint ${fmtRate(mid)}/s`, g.cap)
}

function sweepStep(g: GroupState, n: number, k: number): SeriesStep {
  const rate = g.rates[k]
  const top = g.o.maxRateFactor === 1 ? `max ${fmtRate(g.max!)}/s` : `${g.o.maxRateFactor} x max ${fmtRate(g.max!)}/s`
  return makeStep(g.o, n, 'rate', { concurrency: g.cap, rate }, `synchronous ${fmtRate(g.sync!)}/s + ${k + 1}/${g.rates.length} of the way to ${top}`, g.cap)
}

function bisectConcurrency(g: GroupState, p: SeriesPointSummary, n: number): Decision {
  const c = p.concurrency
  if (p.meets) {
    if (!g.best || c > g.best.concurrency) g.best = p
    g.low = Math.max(g.low, c)
    if (p.step === 2) return { end: `load.concurrency ${c} itself meets the targets: the top of the search` }
  } else g.high = c
  if (g.low === 0) g.low = 1
  const high = g.high ?? g.cap
  if (high - g.low <= 1) return { end: `bisection bracket ${g.low}-${high} in flight: concurrency ${g.low} is the highest that meets the targets` }
  const mid = Math.floor((g.low + high) / 2)
  return makeStep(g.o, n, 'concurrency', { concurrency: mid, rate: null }, `bisection: ${g.low} in flight met the targets, ${high} missed them; midpoint ${mid}`, g.cap)
}

function member(g: GroupState, step: SeriesStep): Experiment {
  const first = g.first
  const config = { ...first.config, load: { ...first.config.load, ...step.load } }
  const label1 = makeStep(g.o, 1, 'synchronous', { concurrency: 1, rate: null }, '', g.cap).label
  const detail = `decided at run time by the ${step.info.kind} of ${first.bench.full_name}: ${step.info.reason}`
  return {
    ...first,
    id: `${first.series!.group}-s${step.info.step}`,
    name: first.name.replace(label1, step.label),
    task_hash: taskHash(config as unknown as Record<string, unknown>),
    config,
    provenance: { ...first.provenance, 'load.concurrency': { value: step.load.concurrency, source: 'sweep', source_detail: detail }, 'load.rate': { value: step.load.rate, source: 'sweep', source_detail: detail } },
    series: { ...step.info, group: first.series!.group },
  }
}

function outcomeOf(g: GroupState, reason: string): SeriesOutcome {
  const base = { kind: kindOf(g), group: g.first.series!.group, bench: g.first.bench.full_name, points: g.points, synchronous_rate: g.sync, max_throughput_rate: g.max, reason }
  if (g.o.profile !== 'slo-search') return base
  const over = g.o.search.over
  const b = g.best
  return {
    ...base,
    answer: b ? { over, value: over === 'rate' ? (b.rate as number) : b.concurrency, experiment_id: b.experiment_id, requests_per_second: b.requests_per_second, avg_energy_per_token_j: b.avg_energy_per_token_j, attainment: b.attainment ?? null } : null,
    bracket: over === 'rate' && g.max !== null ? { low: g.low, high: g.high, tolerance: g.tol } : null,
  }
}

const kindOf = (g: GroupState): SeriesInfo['kind'] => (g.o.profile === 'sweep' ? 'capacity-sweep' : 'slo-search')
const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(1)}%`)

/** One line for the console when a series ends. */
export function describeOutcome(s: SeriesOutcome): string {
  const ends = `1 in flight ${s.synchronous_rate === null ? 'n/a' : fmtRate(s.synchronous_rate) + '/s'}, max throughput ${s.max_throughput_rate === null ? 'n/a' : fmtRate(s.max_throughput_rate) + '/s'}`
  if (s.kind === 'capacity-sweep') {
    const stopped = s.points.filter((p) => p.over_saturated).map((p) => `${fmtRate(p.rate as number)}/s`)
    return `capacity sweep of ${s.bench}: ${ends}; ${s.points.length - 2 > 0 ? s.points.length - 2 : 0} rates run${stopped.length ? `, over-saturated (stopped early) at ${stopped.join(', ')}` : ''}. ${s.reason}`
  }
  const a = s.answer
  if (!a) return `SLO search of ${s.bench}: no ${s.points[0] ? 'load' : 'point'} met the targets (${s.reason})`
  const jpt = a.avg_energy_per_token_j === null ? 'J/token not measured' : `${a.avg_energy_per_token_j.toPrecision(3)} J/token`
  const what = a.over === 'rate' ? `rate ${fmtRate(a.value)}/s${s.bracket ? ` (bisected to ${fmtRate(s.bracket.tolerance)}/s)` : ''}` : `concurrency ${a.value}`
  return `SLO search of ${s.bench}: highest ${what} meeting the targets, ${jpt}, attainment ${pct(a.attainment)} (${a.experiment_id}). ${s.reason}`
}
