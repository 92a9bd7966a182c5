/**
 * The numbers `llem compare` can compare and gate on: one name per metric (the name a threshold uses),
 * its unit, which direction is better, and how to read it from an AggregatedResult. Names follow the
 * ones the field reads (energy_per_token_j, ttft_ms_p50) rather than the result file's field names,
 * so a threshold reads like the number it limits.
 */
import type { AggregatedResult } from '../results/schema.js'

export type Direction = 'lower' | 'higher'

export interface MetricDef {
  unit: string
  /** which way is better: lower for energy, latency, power and memory; higher for throughput */
  better: Direction
  description: string
  read(r: AggregatedResult): number | null | undefined
}

const lat = (k: keyof NonNullable<AggregatedResult['latency_stats']>) => (r: AggregatedResult) => {
  const v = r.latency_stats?.[k]
  return typeof v === 'number' ? v : null
}

export const METRICS = {
  // the total window, as repeats.json: headline windows can differ between runs (steady state just over
  // or under its minimum), and a delta between two different windows would measure the window, not the change
  energy_per_token_j: {
    unit: 'J/token',
    better: 'lower',
    description: 'energy per output token over the total measured window (total_energy_j / total_output_tokens)',
    read: (r) => (r.total_energy_j !== null && r.total_output_tokens !== null && r.total_output_tokens > 0 ? r.total_energy_j / r.total_output_tokens : null),
  },
  energy_per_token_steady_j: {
    unit: 'J/token',
    better: 'lower',
    description: 'energy per output token in the steady-state window (steady_state_window.energy_per_token_j)',
    read: (r) => r.steady_state_window?.energy_per_token_j,
  },
  energy_per_request_j: { unit: 'J', better: 'lower', description: 'energy per request (energy_per_request_j)', read: (r) => r.energy_per_request_j },
  total_energy_j: { unit: 'J', better: 'lower', description: 'energy of the measured window (total_energy_j)', read: (r) => r.total_energy_j },
  avg_power_w: {
    unit: 'W',
    better: 'lower',
    description: 'average power over the measured window (total_energy_j / total_inference_time_sec)',
    read: (r) => (r.total_energy_j !== null && (r.total_inference_time_sec ?? 0) > 0 ? r.total_energy_j / r.total_inference_time_sec! : null),
  },
  output_tokens_per_second: { unit: 'tok/s', better: 'higher', description: 'output throughput (output_tokens_per_second)', read: (r) => ((r.total_inference_time_sec ?? 0) > 0 ? r.output_tokens_per_second : null) },
  tokens_per_second: { unit: 'tok/s', better: 'higher', description: 'input + output throughput (avg_tokens_per_second)', read: (r) => ((r.total_inference_time_sec ?? 0) > 0 ? r.avg_tokens_per_second : null) },
  ttft_ms_p50: { unit: 'ms', better: 'lower', description: 'median time to first token', read: lat('ttft_median_ms') },
  ttft_ms_p90: { unit: 'ms', better: 'lower', description: 'p90 time to first token', read: lat('ttft_p90_ms') },
  ttft_ms_p99: { unit: 'ms', better: 'lower', description: 'p99 time to first token', read: lat('ttft_p99_ms') },
  itl_ms_p50: { unit: 'ms', better: 'lower', description: 'median inter-token latency (trimmed intervals)', read: lat('itl_median_ms') },
  itl_ms_p90: { unit: 'ms', better: 'lower', description: 'p90 inter-token latency (trimmed intervals)', read: lat('itl_p90_ms') },
  itl_ms_p99: { unit: 'ms', better: 'lower', description: 'p99 inter-token latency (trimmed intervals)', read: lat('itl_p99_ms') },
  tpot_ms_p50: { unit: 'ms', better: 'lower', description: 'median time per output token', read: lat('tpot_median_ms') },
  e2e_ms_p50: { unit: 'ms', better: 'lower', description: 'median end-to-end request latency', read: lat('e2e_median_ms') },
  e2e_ms_p99: { unit: 'ms', better: 'lower', description: 'p99 end-to-end request latency', read: lat('e2e_p99_ms') },
  // the per-process counts for results written before the aggregated ones existed
  failed_requests_pct: {
    unit: '%',
    better: 'lower',
    description: 'failed measured requests, percent of all measured requests (num_failed_requests / num_requests)',
    read: (r) => {
      const m = r.process_results.map((p) => p.inference_metrics).filter((x) => x !== null)
      const total = r.num_requests ?? m.reduce((a, x) => a + x.num_requests, 0)
      const failed = r.num_failed_requests ?? m.reduce((a, x) => a + x.num_failed_requests, 0)
      return total > 0 ? (failed / total) * 100 : null
    },
  },
  peak_memory_mb: { unit: 'MB', better: 'lower', description: 'peak memory (extended_metrics.memory.peak_memory_mb)', read: (r) => r.extended_metrics?.memory.peak_memory_mb },
} satisfies Record<string, MetricDef>

export type MetricName = keyof typeof METRICS
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[]

/** Shown on every comparison; a metric with a threshold is shown as well. */
export const DEFAULT_METRICS: readonly MetricName[] = ['energy_per_token_j', 'output_tokens_per_second', 'ttft_ms_p50', 'itl_ms_p50', 'avg_power_w']

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRICS, name)
}

/** A finite number, or null: NaN and Infinity would poison a mean and a bootstrap without a word. */
export function readMetric(name: MetricName, r: AggregatedResult): number | null {
  const v = (METRICS[name] as MetricDef).read(r)
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}
