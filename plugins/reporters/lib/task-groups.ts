/**
 * Formats that have one entry per task (lm-eval) fold the repeats of an experiment into one: the
 * same bench and the same effective config (task_hash) is one task, its value the mean over the
 * completed repeats and its standard error a bootstrap estimate, as lm-eval reports `_stderr`.
 */
import type { AggregatedResult } from 'llem/plugin'
import { createRng } from 'llem/plugin'

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
 * Standard error of the mean by bootstrap: the sample standard deviation of the means of `resamples`
 * resamples with replacement (what lm-eval's bootstrap_stderr computes for its metrics), seeded so a
 * report is reproducible. Null with fewer than two values: one run has no spread to resample.
 */
export function bootstrapStderr(values: readonly number[], opts: { resamples?: number; seed?: number } = {}): number | null {
  const n = values.length
  if (n < 2) return null
  // identical values: every resample mean is that value; summing them in floating point would not say 0
  if (values.every((v) => v === values[0])) return 0
  const resamples = opts.resamples ?? 1000
  const rng = createRng(opts.seed ?? 0)
  const means = new Array<number>(resamples)
  for (let b = 0; b < resamples; b++) {
    let s = 0
    for (let i = 0; i < n; i++) s += values[Math.floor(rng() * n)]
    means[b] = s / n
  }
  const m = mean(means)
  let ss = 0
  for (const x of means) ss += (x - m) * (x - m)
  return Math.sqrt(ss / (resamples - 1))
}
