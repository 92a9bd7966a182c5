/**
 * Two sets of results, experiment by experiment. Experiments are matched by task_hash (the same
 * effective config: the code or the machine changed), then an adaptive series' steps by their place in
 * the series (a capacity sweep's rate steps are decided at run time, so their configs never repeat),
 * else by name within the same bench and file (the config itself changed);
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
  matched_by: MatchedBy
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
  /** why the gate fails beyond its regressions: with thresholds set, nothing was compared at all
   *  (a wrong baseline, another project's run, every bench renamed); null otherwise */
  gate_failure: string | null
  status: 'passed' | 'regressed'
  /** the sweep view across both runs: per bench, every setting of either run (labelled baseline or
   *  current) as one point, the frontiers and the best setting under the SLO among them all */
  pareto?: ParetoSummary
}

export type MatchedBy = 'task_hash' | 'series' | 'name'

/** An experiment the current run planned (its manifest's entry), to tell "planned, no result" from "not planned". */
export interface PlannedExperiment {
  id: string
  name: string
  bench: string
  task_hash: string
  file?: string
  location?: string
  series?: AggregatedResult['series']
  /** its effective configuration, for the "what changed" of a pairing by name */
  effective_config?: Record<string, unknown>
}

/** One experiment's repeats (one result without repeats): what is matched and compared. */
interface Unit {
  name: string
  bench: string
  file: string
  location: string
  task_hash: string
  series: AggregatedResult['series']
  /** the effective configuration: its results', else its plan's (null when neither says) */
  config: Record<string, unknown> | null
  results: AggregatedResult[]
  /** planned repeats with no result at all (the run stopped first, or their files are gone) */
  missing: string[]
}

const baseName = (r: AggregatedResult) => r.experiment_name.replace(/ #\d+$/, '')
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
/** the two-sided level of `significant`: a false alarm on 1 in 20 noise-only metrics, whatever the repeat count */
const ALPHA = 0.05
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b))
/** past a limit, not at it: a change of exactly the limit (10% that floating point makes 10.000000000000009%) passes */
const past = (x: number, limit: number) => x > limit && !close(x, limit)

/**
 * Results grouped into units, and with `planned` (the current run's manifest) the experiments it planned
 * that have no result added: a run stopped by --bail, a Slurm job that ended early or a CI job killed
 * mid-run leaves them, and a gate must see them as not completed rather than as never planned.
 */
export function groupUnits(results: AggregatedResult[], planned: readonly PlannedExperiment[] = []): Unit[] {
  const units = new Map<string, Unit>()
  const unit = (key: string, make: () => Unit) => units.get(key) ?? units.set(key, make()).get(key)!
  for (const r of results) {
    // as repeat-stats: the same config in two different benches is not a repeat of one another
    const name = baseName(r)
    unit(`${r.bench.full_name}|${r.task_hash}|${name}`, () => ({ name, bench: r.bench.full_name, file: r.bench.file, location: r.bench.location, task_hash: r.task_hash, series: r.series, config: r.effective_config, results: [], missing: [] })).results.push(r)
  }
  const have = new Set(results.map((r) => r.experiment_id))
  for (const x of planned) {
    if (have.has(x.id)) continue
    const name = x.name.replace(/ #\d+$/, '')
    unit(`${x.bench}|${x.task_hash}|${name}`, () => ({ name, bench: x.bench, file: x.file ?? '', location: x.location ?? '', task_hash: x.task_hash, series: x.series, config: x.effective_config ?? null, results: [], missing: [] })).missing.push(x.id)
  }
  return [...units.values()]
}

const loadOf = (x: NonNullable<Unit['series']>) => (x.rate === null ? `concurrency ${x.concurrency}` : x.rate === 'inf' ? 'unlimited rate' : `rate ${Number(x.rate.toPrecision(3))}/s`)
const completed = (u: Unit) => u.results.some((r) => r.status === 'completed')
const sameStep = (a: Unit, b: Unit) => !!a.series && !!b.series && a.series.kind === b.series.kind && a.series.step === b.series.step && a.series.role === b.series.role

/**
 * Pairs of (baseline, current) units. By task_hash first (same bench preferred). Then an adaptive
 * series' steps by their place: the same series (its first member's id, which is stable while its config
 * is) and step, else the same bench, file and step when each side has one such series. Then by name
 * within the same bench and file, else the same bench when the name is that bench's only one on each
 * side (a bench moved to another file): two files may each define a bench('decode'), and pairing one
 * file's with the other's would gate against the wrong numbers. Current units with a completed result go
 * first, so a failed result that a resumed run kept beside the fixed experiment does not take its pair.
 */
export function matchUnits(baseline: Unit[], current: Unit[]): { pairs: Array<[Unit, Unit, MatchedBy]>; onlyBaseline: Unit[]; onlyCurrent: Unit[] } {
  const free = new Set(baseline)
  const pairs: Array<[Unit, Unit, MatchedBy]> = []
  const take = (b: Unit | undefined, c: Unit, how: MatchedBy): boolean => {
    if (!b) return false
    free.delete(b)
    pairs.push([b, c, how])
    return true
  }
  let rest: Unit[] = []
  for (const c of current) {
    const same = [...free].filter((b) => b.task_hash === c.task_hash)
    const b = same.find((u) => u.bench === c.bench && u.name === c.name) ?? same.find((u) => u.bench === c.bench) ?? (same.length === 1 ? same[0] : undefined)
    if (!take(b, c, 'task_hash')) rest.push(c)
  }
  rest = [...rest.filter(completed), ...rest.filter((c) => !completed(c))]
  const unmatched: Unit[] = []
  for (const c of rest) {
    if (!c.series) {
      unmatched.push(c)
      continue
    }
    const inSeries = [...free].find((b) => b.series?.group === c.series!.group && sameStep(b, c))
    const inBench = (units: Iterable<Unit>) => [...units].filter((u) => u.bench === c.bench && u.file === c.file && sameStep(u, c))
    const alone = inBench(free).length === 1 && inBench(current).length === 1 ? inBench(free)[0] : undefined
    if (!take(inSeries ?? alone, c, 'series')) unmatched.push(c)
  }
  const onlyCurrent: Unit[] = []
  for (const c of unmatched) {
    const named = (units: Iterable<Unit>) => [...units].filter((u) => u.name === c.name && u.bench === c.bench)
    const sameFile = named(free).find((u) => u.file === c.file)
    const moved = named(baseline).length === 1 && named(current).length === 1 ? named(free)[0] : undefined
    if (!take(sameFile ?? moved, c, 'name')) onlyCurrent.push(c)
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
  // a mean over fewer repeats than completed is said, not hidden behind the repeat count
  const sides: Array<[number, number, string]> = [[bValues.length, base.length, 'baseline'], [cValues.length, cur.length, 'current run']]
  const partly = sides.filter(([n, of]) => n > 0 && n < of).map(([n, of, where]) => `measured in ${n} of the ${of} completed repeats of the ${where}`)
  if (partly.length) out.note = partly.join('; ')
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
    out.regressed = threshold.kind === 'absolute' ? past(worseBy, threshold.value) : out.delta_pct === null || past(Math.abs(out.delta_pct), threshold.value)
  }
  return out
}

export function compareResults(baseline: AggregatedResult[], current: AggregatedResult[], thresholds: Threshold[], plannedCurrent: readonly PlannedExperiment[] = []): Comparison {
  const { pairs, onlyBaseline, onlyCurrent } = matchUnits(groupUnits(baseline), groupUnits(current, plannedCurrent))
  const byMetric = new Map(thresholds.map((t) => [t.metric, t]))
  const metrics = [...new Set<MetricName>([...DEFAULT_METRICS, ...thresholds.map((t) => t.metric)])]
  const experiments = pairs.map(([b, c, how]): ExperimentComparison => {
    const bDone = b.results.filter((r) => r.status === 'completed')
    const cDone = c.results.filter((r) => r.status === 'completed')
    const warnings: string[] = []
    const describe = (u: Unit, done: AggregatedResult[]) => ({ task_hash: u.task_hash, ids: [...u.results.map((r) => r.experiment_id), ...u.missing], completed: done.length, repeats: u.results.length + u.missing.length, energy_method: (done[0] ?? u.results[0])?.energy_method ?? 'none' })
    const bSide = describe(b, bDone)
    const cSide = describe(c, cDone)
    if (how === 'name') {
      const changed = b.config && c.config ? configDiff(b.config, c.config) : []
      warnings.push(`matched by name: the configuration changed (task_hash ${b.task_hash.slice(0, 8)} -> ${c.task_hash.slice(0, 8)})${changed.length ? `: ${changed.join('; ')}` : ''}`)
    }
    if (how === 'series' && c.series && b.series)
      warnings.push(`matched as step ${c.series.step} (${c.series.role}) of a ${c.series.kind}, whose load is decided at run time: ${loadOf(b.series)} in the baseline, ${loadOf(c.series)} now`)
    if (bDone.length && cDone.length && bSide.energy_method !== cSide.energy_method)
      warnings.push(`energy measured differently (${bSide.energy_method} in the baseline, ${cSide.energy_method} now): the energy deltas compare two methods, not two runs`)
    const failed = bDone.length > 0 && cDone.length === 0
    if (failed) {
      const err = c.results.find((r) => r.error)?.error
      const how = [...c.results.map((r) => r.status), ...c.missing.map(() => 'planned, no result')]
      warnings.push(`no completed result in the current run (${how.join(', ')}${err ? `: ${err.code} ${err.message}` : ''})`)
    }
    if (bDone.length === 0) warnings.push('no completed result in the baseline: nothing to compare against')
    for (const [where, u, done] of [['baseline', b, bDone], ['current run', c, cDone]] as const)
      if (done.length > 0 && done.length < u.results.length + u.missing.length) warnings.push(`${u.results.length + u.missing.length - done.length} of ${u.results.length + u.missing.length} repeats did not complete in the ${where}: compared over the ${done.length} that did`)
    const deltas = failed || bDone.length === 0 ? [] : metrics.map((m) => compareMetric(m, bDone, cDone, byMetric.get(m) ?? null))
    return { name: c.name, bench: c.bench, file: c.file, location: c.location, matched_by: how, baseline: bSide, current: cSide, metrics: deltas, failed, warnings, regressed: failed || deltas.some((d) => d.regressed) }
  })
  const regressions = experiments.reduce((n, x) => n + (x.failed ? 1 : x.metrics.filter((d) => d.regressed).length), 0)
  // a gate that compared nothing has checked nothing: it must not pass
  const gateFailure =
    thresholds.length > 0 && experiments.length === 0 && baseline.some((r) => r.status === 'completed')
      ? `nothing was compared: no experiment of the current run pairs with one of the baseline's (${onlyBaseline.length} only in the baseline, ${onlyCurrent.length} only in the current run); a gate that compares nothing does not pass`
      : null
  return {
    experiments,
    only_in_baseline: onlyBaseline.map((u) => u.name),
    only_in_current: onlyCurrent.map((u) => u.name),
    thresholds,
    regressions,
    gate_failure: gateFailure,
    status: regressions > 0 || gateFailure ? 'regressed' : 'passed',
    pareto: paretoSummary({ baseline, current }),
  }
}
