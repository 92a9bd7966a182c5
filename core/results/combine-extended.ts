/**
 * extended_metrics and thermal_throttle of a data-parallel experiment, combined from every completed
 * process rather than copied from process 0. Per-request figures are pooled over all requests; counts
 * add up; figures that belong to one engine (batch, KV cache) are averaged over the engines, weighted
 * by how long each measured; memory is summed, since every process holds its own copy of the model.
 */
import { summarise } from '../stats/summary.js'
import type { AggregatedResult, RawProcessResult } from './schema.js'

type Extended = NonNullable<RawProcessResult['extended_metrics']>
type Throttle = NonNullable<RawProcessResult['thermal_throttle']>

const allNumbers = (xs: (number | null | undefined)[]): xs is number[] => xs.every((x) => typeof x === 'number')
const sumOrNull = (xs: (number | null | undefined)[]) => (allNumbers(xs) ? xs.reduce((a, b) => a + b, 0) : null)
/** Weighted mean; null when any value is missing (a mean of the engines that reported would pass off part as whole). */
function weightedMean(xs: (number | null | undefined)[], weights: number[]): number | null {
  const w = weights.reduce((a, b) => a + b, 0)
  return allNumbers(xs) && w > 0 ? xs.reduce((a, x, i) => a + x * weights[i], 0) / w : null
}

export interface ExtendedTotals {
  /** the experiment's figures, already combined */
  outputTokens: number
  outputTokensPerSecond: number | null
  totalEnergyJ: number | null
  /** seconds of the union of the measured windows */
  unionSec: number
  /** true when some GPU was measured by more than one process: its memory readings would add twice */
  gpuShared: boolean
}

export function combineExtended(done: RawProcessResult[], t: ExtendedTotals): { extended: AggregatedResult['extended_metrics']; warnings: string[] } {
  const warnings: string[] = []
  const ext = done.map((r) => r.extended_metrics)
  if (done.length === 0 || ext.some((e) => e === null)) return { extended: null, warnings }
  const xs = ext as Extended[]
  const seconds = done.map((r) => r.inference_metrics?.inference_time_sec ?? 0)
  const inputTokens = done.map((r) => r.inference_metrics?.input_tokens ?? 0)

  const tpot = done.flatMap((r) => r.requests.map((q) => q.tpot_ms).filter((v): v is number => v !== null))
  const fromGpu = xs.some((e) => e.memory.gpu_memory_peak_mb !== null)
  if (t.gpuShared && fromGpu) warnings.push('a GPU was measured by more than one process: GPU memory cannot be summed over the processes and is not reported')
  const gpuPeak = t.gpuShared ? null : sumOrNull(xs.map((e) => e.memory.gpu_memory_peak_mb))
  const peak = t.gpuShared && fromGpu ? null : sumOrNull(xs.map((e) => e.memory.peak_memory_mb))
  const sources = [...new Set(xs.map((e) => e.memory.source ?? 'unknown'))].join(', ')

  // every request, however many processes served it, counts once in the SLO share
  const counts = done.map((r) => r.requests.length)
  const shares = xs.map((e) => e.request_latency.slo_attainment)
  const meeting = allNumbers(shares) ? shares.reduce((a, s, i) => a + s * counts[i], 0) : null
  const requests = counts.reduce((a, b) => a + b, 0)
  const util = done.flatMap((r) => r.gpu_utilisation_samples)
  const targets = new Set(xs.map((e) => e.batch.target_concurrency))
  const servers = done.filter((r) => r.extended_metrics?.server)

  const extended: Extended = {
    tpot_ms: summarise(tpot)?.mean ?? null,
    token_efficiency_index: t.outputTokensPerSecond !== null && t.totalEnergyJ !== null && t.totalEnergyJ > 0 ? t.outputTokensPerSecond * (t.outputTokens / t.totalEnergyJ) : null,
    memory: {
      peak_memory_mb: peak,
      model_memory_mb: sumOrNull(xs.map((e) => e.memory.model_memory_mb)),
      tokens_per_gb: peak !== null && peak > 0 ? t.outputTokens / (peak / 1024) : null,
      rss_peak_mb: sumOrNull(xs.map((e) => e.memory.rss_peak_mb)),
      gpu_memory_peak_mb: gpuPeak,
      source: `sum over ${done.length} processes of each one's peak (${sources})`,
    },
    gpu_utilisation: {
      sm_utilisation_mean: summarise(util)?.mean ?? null,
      memory_bandwidth_utilisation: weightedMean(xs.map((e) => e.gpu_utilisation.memory_bandwidth_utilisation), seconds),
    },
    // per engine: each process drives its own, so its batch is an engine's, not the experiment's sum
    batch: {
      effective_batch_size: weightedMean(xs.map((e) => e.batch.effective_batch_size), seconds),
      target_concurrency: targets.size === 1 ? [...targets][0] : null,
      padding_overhead: weightedMean(xs.map((e) => e.batch.padding_overhead), seconds),
    },
    kv_cache: {
      // a hit rate is over prompt tokens, so prompt tokens weigh it
      prefix_cache_hit_rate: weightedMean(xs.map((e) => e.kv_cache.prefix_cache_hit_rate), inputTokens),
      kv_cache_usage_mean: weightedMean(xs.map((e) => e.kv_cache.kv_cache_usage_mean), seconds),
    },
    request_latency: {
      e2e_ms: summarise(done.flatMap((r) => r.per_request_latencies_ms)),
      slo_attainment: meeting !== null && requests > 0 ? meeting / requests : null,
      goodput_requests_per_second: meeting !== null && t.unionSec > 0 ? meeting / t.unionSec : null,
    },
    server: servers.length ? Object.fromEntries(servers.map((r) => [`process_${r.process_index}`, r.extended_metrics!.server])) : null,
  }
  return { extended, warnings }
}

/** Throttled if any process's GPUs were; every process's devices listed. */
export function combineThrottle(done: RawProcessResult[]): Throttle | null {
  const all = done.map((r) => r.thermal_throttle).filter((x): x is Throttle => x !== null)
  if (all.length === 0) return null
  return { throttled: all.some((x) => x.throttled), devices: all.flatMap((x) => x.devices) }
}
