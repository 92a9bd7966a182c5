/**
 * Two sets of results, experiment by experiment. Experiments are matched by task_hash (the same
 * effective config: the code or the machine changed), else by name (the config itself changed);
 * repeats of one experiment are pooled, each metric's mean compared, with Student t 95% CIs (as
 * repeats.json) where an experiment has at least two completed repeats, and Welch's t-test to say
 * whether a change is more than run-to-run noise (p < 0.05). A metric
 * regresses when it moved the worse way by more than its threshold. A gate must not pass on data that
 * is not there: an experiment that completed in the baseline and not in the current run, or a gated
 * metric the baseline measured and the current run did not, fails the comparison too.
 */
import { studentTMeanInterval, welchTTest } from '../stats/student-t.js'
import type { AggregatedResult } from '../results/schema.js'
import { DEFAULT_METRICS, METRICS, readMetric, type Direction, type MetricName } from './metrics.js'
import type { Threshold } from './thresholds.js'
import { configDiff } from './config-diff.js'
import { paretoSummary, type ParetoSummary } from '../results/pareto.js'

export interface SideStats {
  /** mean over the completed repeats */
  value: number
  n: number
  ci_lower: number | null
  ci_upper: number | null
}

export interface MetricDelta {
  metric: MetricName
  unit: string
  better: Direction
  baseline: SideStats | null
  current: SideStats | null
  delta: number | null
  delta_pct: number | null
  /** better | worse | same | n/a (a side has no value) */
  change: 'better' | 'worse' | 'same' | 'n/a'
  /** Welch's t-test p < 0.05; null when a side has fewer than two values to tell noise from */
  significant: boolean | null
  /** two-sided p-value of Welch's t-test (Welch–Satterthwaite degrees of freedom), null as significant */
  p_value: number | null
  /** how ci_lower/ci_upper and significant were computed */
  ci_method: 'student_t'
  significance_test: 'welch_t'
  threshold: Threshold | null
  /** past its threshold the worse way, or gated and measured in the baseline only */
  regressed: boolean
  note: string | null
}

export interface ExperimentComparison {
  name: string
  bench: string
  /** the bench's file and `file:line:col`, relative to its project, as the current run recorded them */
  file: string
  location: string
  matched_by: 'task_hash' | 'name'
  baseline: { task_hash: string; ids: string[]; completed: number; repeats: number; energy_method: string }
  current: { task_hash: string; ids: string[]; completed: number; repeats: number; energy_method: string }
  metrics: MetricDelta[]
  /** completed in the baseline, not in the current run */
  failed: boolean
  warnings: string[]
  regressed: boolean
}

export interface Comparison {
  experiments: ExperimentComparison[]
  only_in_baseline: string[]
  only_in_current: string[]
  thresholds: Threshold[]
  regressions: number
  status: 'passed' | 'regressed'
  /** the sweep view across both runs: per bench, every setting of either run (labelled baseline or
   *  current) as one point, the frontiers and the best setting under the SLO among them all */
  pareto?: ParetoSummary
}

/** One experiment's repeats (one result without repeats): what is matched and compared. */
interface Unit {
  name: string
  bench: string
  task_hash: string
  results: AggregatedResult[]
}

const baseName = (r: AggregatedResult) => r.experiment_name.replace(/ #\d+$/, '')
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
/** the two-sided level of `significant`: a false alarm on 1 in 20 noise-only metrics, whatever the repeat count */
const ALPHA = 0.05
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b))

export function groupUnits(results: AggregatedResult[]): Unit[] {
  const units = new Map<string, Unit>()
  for (const r of results) {
    // as repeat-stats: the same config in two different benches is not a repeat of one another
    const key = `${r.bench.full_name}|${r.task_hash}|${baseName(r)}`
    const u = units.get(key) ?? { name: baseName(r), bench: r.bench.full_name, task_hash: r.task_hash, results: [] }
    u.results.push(r)
    units.set(key, u)
  }
  return [...units.values()]
}

/** Pairs of (baseline, current) units: by task_hash first (same bench preferred), then by name. */
export function matchUnits(baseline: Unit[], current: Unit[]): { pairs: Array<[Unit, Unit, 'task_hash' | 'name']>; onlyBaseline: Unit[]; onlyCurrent: Unit[] } {
  const free = new Set(baseline)
  const pairs: Array<[Unit, Unit, 'task_hash' | 'name']> = []
  const rest: Unit[] = []
  for (const c of current) {
    const same = [...free].filter((b) => b.task_hash === c.task_hash)
    const b = same.find((u) => u.bench === c.bench && u.name === c.name) ?? same.find((u) => u.bench === c.bench) ?? (same.length === 1 ? same[0] : undefined)
    if (b) {
      free.delete(b)
      pairs.push([b, c, 'task_hash'])
    } else rest.push(c)
  }
  const onlyCurrent: Unit[] = []
  for (const c of rest) {
    const b = [...free].find((u) => u.name === c.name)
    if (b) {
      free.delete(b)
      pairs.push([b, c, 'name'])
    } else onlyCurrent.push(c)
  }
  // in the current run's order, however each was matched
  pairs.sort((x, y) => current.indexOf(x[1]) - current.indexOf(y[1]))
  return { pairs, onlyBaseline: baseline.filter((b) => free.has(b)), onlyCurrent }
}

function side(values: number[]): SideStats | null {
  if (values.length === 0) return null
  const ci = studentTMeanInterval(values, 1 - ALPHA)
  return { value: mean(values), n: values.length, ci_lower: ci?.lower ?? null, ci_upper: ci?.upper ?? null }
}

export function compareMetric(metric: MetricName, base: AggregatedResult[], cur: AggregatedResult[], threshold: Threshold | null): MetricDelta {
  const def = METRICS[metric]
  const values = (rs: AggregatedResult[]) => rs.map((r) => readMetric(metric, r)).filter((v): v is number => v !== null)
  const bValues = values(base)
  const cValues = values(cur)
  const b = side(bValues)
  const c = side(cValues)
  const out: MetricDelta = { metric, unit: def.unit, better: def.better as Direction, baseline: b, current: c, delta: null, delta_pct: null, change: 'n/a', significant: null, p_value: null, ci_method: 'student_t', significance_test: 'welch_t', threshold, regressed: false, note: null }
  if (!b || !c) {
    if (b && threshold) {
      out.regressed = true
      out.note = 'not measured in the current run'
    } else if (threshold) out.note = c ? 'not measured in the baseline: nothing to gate against' : 'measured in neither run'
    return out
  }
  // means of identical values can differ in the last bits: that is no change, and no significant one
  out.delta = close(c.value, b.value) ? 0 : c.value - b.value
  out.delta_pct = b.value !== 0 ? (out.delta / Math.abs(b.value)) * 100 : null
  const worseBy = def.better === 'lower' ? out.delta : -out.delta
  out.change = worseBy > 0 ? 'worse' : worseBy < 0 ? 'better' : 'same'
  // not "the CIs do not overlap": that test's false-alarm rate swings with n (31% at 2 repeats, 2% at 10
  // with the old bootstrap CIs); Welch's test holds it at ALPHA and allows the two sides different noise
  const welch = welchTTest(bValues, cValues)
  if (welch) {
    out.p_value = out.delta === 0 ? 1 : welch.p_value
    out.significant = out.p_value < ALPHA
  }
  if (threshold && worseBy > 0) {
    // from a baseline of exactly zero any worsening is an infinite percentage
    const past = threshold.kind === 'absolute' ? worseBy > threshold.value : out.delta_pct === null || Math.abs(out.delta_pct) > threshold.value
    out.regressed = past
  }
  return out
}

export function compareResults(baseline: AggregatedResult[], current: AggregatedResult[], thresholds: Threshold[]): Comparison {
  const { pairs, onlyBaseline, onlyCurrent } = matchUnits(groupUnits(baseline), groupUnits(current))
  const byMetric = new Map(thresholds.map((t) => [t.metric, t]))
  const metrics = [...new Set<MetricName>([...DEFAULT_METRICS, ...thresholds.map((t) => t.metric)])]
  const experiments = pairs.map(([b, c, how]): ExperimentComparison => {
    const bDone = b.results.filter((r) => r.status === 'completed')
    const cDone = c.results.filter((r) => r.status === 'completed')
    const warnings: string[] = []
    const describe = (u: Unit, done: AggregatedResult[]) => ({ task_hash: u.task_hash, ids: u.results.map((r) => r.experiment_id), completed: done.length, repeats: u.results.length, energy_method: (done[0] ?? u.results[0]).energy_method })
    const bSide = describe(b, bDone)
    const cSide = describe(c, cDone)
    if (how === 'name') {
      const changed = configDiff(b.results[0].effective_config, c.results[0].effective_config)
      warnings.push(`matched by name: the configuration changed (task_hash ${b.task_hash.slice(0, 8)} -> ${c.task_hash.slice(0, 8)})${changed.length ? `: ${changed.join('; ')}` : ''}`)
    }
    if (bDone.length && cDone.length && bSide.energy_method !== cSide.energy_method)
      warnings.push(`energy measured differently (${bSide.energy_method} in the baseline, ${cSide.energy_method} now): the energy deltas compare two methods, not two runs`)
    const failed = bDone.length > 0 && cDone.length === 0
    if (failed) {
      const err = c.results.find((r) => r.error)?.error
      warnings.push(`no completed result in the current run (${c.results.map((r) => r.status).join(', ')}${err ? `: ${err.code} ${err.message}` : ''})`)
    }
    if (bDone.length === 0) warnings.push('no completed result in the baseline: nothing to compare against')
    for (const [where, u, done] of [['baseline', b, bDone], ['current run', c, cDone]] as const)
      if (done.length > 0 && done.length < u.results.length) warnings.push(`${u.results.length - done.length} of ${u.results.length} repeats did not complete in the ${where}: compared over the ${done.length} that did`)
    const deltas = failed || bDone.length === 0 ? [] : metrics.map((m) => compareMetric(m, bDone, cDone, byMetric.get(m) ?? null))
    return { name: c.name, bench: c.bench, file: c.results[0].bench.file, location: c.results[0].bench.location, matched_by: how, baseline: bSide, current: cSide, metrics: deltas, failed, warnings, regressed: failed || deltas.some((d) => d.regressed) }
  })
  const regressions = experiments.reduce((n, x) => n + (x.failed ? 1 : x.metrics.filter((d) => d.regressed).length), 0)
  return {
    experiments,
    only_in_baseline: onlyBaseline.map((u) => u.name),
    only_in_current: onlyCurrent.map((u) => u.name),
    thresholds,
    regressions,
    status: regressions > 0 ? 'regressed' : 'passed',
    pareto: paretoSummary({ baseline, current }),
  }
}
