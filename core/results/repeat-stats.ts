/**
 * Repeats of one experiment (same task_hash) summarised across runs: the mean of each headline number
 * and its bootstrap 95% confidence interval (1000 resamples, seeded), so a difference between two
 * configurations can be told apart from run-to-run noise.
 */
import { bootstrapCI } from '../stats/summary.js'
import type { AggregatedResult } from './schema.js'

export interface RepeatMetric {
  mean: number
  ci_lower: number
  ci_upper: number
  values: number[]
}

export interface RepeatSummary {
  task_hash: string
  name: string
  repeats: number
  completed: number
  metrics: Record<'energy_per_token_j' | 'output_tokens_per_second' | 'ttft_median_ms' | 'itl_median_ms', RepeatMetric | null>
  method: string
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

export function summariseRepeats(results: AggregatedResult[], opts: { resamples?: number; seed?: number } = {}): RepeatSummary[] {
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
      const ci = bootstrapCI(values, mean, { resamples: opts.resamples ?? 1000, confidence: 0.95, seed: opts.seed ?? 0 })!
      return { mean: mean(values), ci_lower: ci.lower, ci_upper: ci.upper, values }
    }
    out.push({
      task_hash: hash,
      name: rs[0].experiment_name.replace(/ #\d+$/, ''),
      repeats: rs.length,
      completed: done.length,
      metrics: {
        // the total window for every repeat: headline windows can differ between repeats (steady state
        // just over or under its minimum), and a CI over a mix of windows would mean nothing
        energy_per_token_j: metric((r) => (r.total_energy_j !== null && r.total_output_tokens > 0 ? r.total_energy_j / r.total_output_tokens : null)),
        output_tokens_per_second: metric((r) => r.output_tokens_per_second),
        ttft_median_ms: metric((r) => r.latency_stats?.ttft_median_ms),
        itl_median_ms: metric((r) => r.latency_stats?.itl_median_ms),
      },
      method: rs[0].energy_method,
    })
  }
  return out
}
