/**
 * Formats that have one entry per task (lm-eval) fold the repeats of an experiment into one: the
 * same bench and the same effective config (task_hash) is one task, its value the mean over the
 * completed repeats and its standard error that of the mean, as lm-eval reports `_stderr` for `mean`.
 */
import type { AggregatedResult } from 'llem/plugin'

export interface TaskGroup {
  /** file-safe and unique in the run: the experiment id without its repeat suffix */
  task: string
  /** for people: the experiment name without its ` #n` repeat suffix */
  alias: string
  results: AggregatedResult[]
  completed: AggregatedResult[]
}

/** Groups by bench and task_hash, in the order tasks first appear. */
export function groupTasks(results: readonly AggregatedResult[]): TaskGroup[] {
  const groups = new Map<string, TaskGroup>()
  const used = new Set<string>()
  for (const r of results) {
    const key = `${r.bench.full_name}\0${r.task_hash}`
    let g = groups.get(key)
    if (!g) {
      // ids end in the task hash's first 8 hex digits, then `-r<n>` for a repeat: hex has no 'r'
      let task = r.experiment_id.replace(/(-[0-9a-f]{8})-r\d+(~\d+)?$/, '$1')
      for (let n = 2; used.has(task); n++) task = `${task.replace(/~\d+$/, '')}~${n}`
      used.add(task)
      g = { task, alias: r.experiment_name.replace(/ #\d+$/, ''), results: [], completed: [] }
      groups.set(key, g)
    }
    g.results.push(r)
    if (r.status === 'completed') g.completed.push(r)
  }
  return [...groups.values()]
}

export function mean(xs: readonly number[]): number {
  let s = 0
  for (const x of xs) s += x
  return s / xs.length
}

/**
 * Standard error of the mean as lm-eval gives it for a metric aggregated by `mean` (lm_eval/api/
 * metrics.py: stderr_for_metric maps `mean` to mean_stderr, the sample standard deviation, n - 1 in
 * its denominator, over sqrt(n); it bootstraps only other aggregations). Null below two values.
 */
export function meanStderr(values: readonly number[]): number | null {
  const n = values.length
  if (n < 2) return null
  // identical values: no spread (a floating-point sum would not say exactly 0)
  if (values.every((v) => v === values[0])) return 0
  const m = mean(values)
  let ss = 0
  for (const x of values) ss += (x - m) * (x - m)
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n)
}
