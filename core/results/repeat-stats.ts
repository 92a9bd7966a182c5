/**
 * Repeats of one experiment (same task_hash) summarised across runs: the mean of each headline number
 * and its Student t 95% confidence interval, so a difference between two configurations can be told
 * apart from run-to-run noise. Not a bootstrap: at 2-10 repeats a percentile bootstrap of the mean
 * covers the true mean far less often than 95% (see stats/student-t.ts).
 */
import { studentTMeanInterval } from '../stats/student-t.js'
import type { AggregatedResult } from './schema.js'

export interface RepeatMetric {
  mean: number
  ci_lower: number
  ci_upper: number
  values: number[]
  /** how the interval was computed: mean ± t(0.975, n - 1) · s / √n */
  ci_method: 'student_t'
}

export interface RepeatSummary {
  task_hash: string
  name: string
  repeats: number
  completed: number
  metrics: Record<'energy_per_token_j' | 'output_tokens_per_second' | 'ttft_median_ms' | 'itl_median_ms', RepeatMetric | null>
  /** energy_per_token_j is total_energy_j / total_output_tokens of each repeat, not its headline window */
  energy_per_token_window: 'total'
  method: string
}

export function summariseRepeats(results: AggregatedResult[]): RepeatSummary[] {
  const groups = new Map<string, AggregatedResult[]>()
  // the same config in two different benches is not a repeat of one another
  for (const r of results) groups.set(`${r.bench.full_name}|${r.task_hash}`, [...(groups.get(`${r.bench.full_name}|${r.task_hash}`) ?? []), r])
  const out: RepeatSummary[] = []
  for (const [, rs] of groups) {
    const hash = rs[0].task_hash
    if (rs.length < 2) continue
    const done = rs.filter((r) => r.status === 'completed')
    const metric = (pick: (r: AggregatedResult) => number | null | undefined): RepeatMetric | null => {
      const values = done.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
      if (values.length < 2) return null
      const ci = studentTMeanInterval(values, 0.95)!
      return { mean: ci.mean, ci_lower: ci.lower, ci_upper: ci.upper, values, ci_method: ci.method }
    }
    out.push({
      task_hash: hash,
      name: rs[0].experiment_name.replace(/ #\d+$/, ''),
      repeats: rs.length,
      completed: done.length,
      metrics: {
        // the total window for every repeat: headline windows can differ between repeats (steady state
        // just over or under its minimum), and a CI over a mix of windows would mean nothing
        energy_per_token_j: metric((r) => (r.total_energy_j !== null && r.total_output_tokens !== null && r.total_output_tokens > 0 ? r.total_energy_j / r.total_output_tokens : null)),
        output_tokens_per_second: metric((r) => r.output_tokens_per_second),
        ttft_median_ms: metric((r) => r.latency_stats?.ttft_median_ms),
        itl_median_ms: metric((r) => r.latency_stats?.itl_median_ms),
      },
      energy_per_token_window: 'total',
      method: rs[0].energy_method,
    })
  }
  return out
}
