/**
 * From the measured window (token timings, energy snapshots) to the metric blocks of a RawProcessResult.
 * Pure functions: everything here runs after the window has closed.
 */
import type { ModelInfo } from '../backends/types.js'
import type { RawProcessResult, RequestRecord } from '../results/schema.js'
import { summarise } from '../stats/summary.js'
import type { BaselineResult } from './baseline.js'
import { emissionsKg, type CarbonIntensity } from './emissions.js'
import { estimateFlops } from './flops.js'
import { requestLatency, type LatencyMode } from './latency.js'
import type { LoadOutcome } from './load-runner.js'
import { energyBetween, interpolateSnapshot, type EnergySnapshot } from './probe-set.js'
import { steadyStateWindow } from './steady-state.js'

type Energy = NonNullable<RawProcessResult['energy_metrics']>

export interface MetricsInput {
  outcome: LoadOutcome
  latencyMode: LatencyMode
  warmupRequests: number
  energyStart: EnergySnapshot
  energyEnd: EnergySnapshot
  timeline: EnergySnapshot[]
  method: Energy['method']
  confidence: Energy['confidence']
  probes: string[]
  baseline: BaselineResult
  carbon: CarbonIntensity
  model: ModelInfo
  concurrency: number
  peakRssMb: number
  modelMemoryMb: number | null
}

export function buildMetrics(input: MetricsInput) {
  const { outcome } = input
  const warnings: string[] = []
  const durationSec = (outcome.windowEnd - outcome.windowStart) / 1000
  const ok = outcome.requests.filter((r) => r.ok)
  const lat = ok.map(requestLatency)
  const inputTokens = outcome.requests.reduce((a, r) => a + r.inputTokens, 0)
  const outputTokens = outcome.requests.reduce((a, r) => a + r.outputTokens, 0)
  const multi = lat.reduce((a, l) => a + l.multiTokenChunks, 0)
  if (multi > 0) warnings.push(`${multi} chunks carried several tokens: their gap was spread evenly over the tokens (ITL smoothing)`)
  const failed = outcome.requests.length - ok.length
  if (failed > 0) warnings.push(`${failed} of ${outcome.requests.length} requests failed: ${[...new Set(outcome.requests.filter((r) => !r.ok).map((r) => r.error))].slice(0, 3).join('; ')}`)

  const itlFull = lat.flatMap((l) => l.itlMs)
  const itlTrimmed = lat.flatMap((l) => l.itlTrimmedMs)
  const ttft = lat.map((l) => l.ttftMs).filter((v): v is number => v !== null)
  const e2e = lat.map((l) => l.e2eMs)
  const tpot = lat.map((l) => l.tpotMs).filter((v): v is number => v !== null)

  const requests: RequestRecord[] = outcome.requests.map((r) => {
    const l = requestLatency(r)
    return { index: r.index, prompt_id: r.promptId, ok: r.ok, error: r.error, input_tokens: r.inputTokens, output_tokens: r.outputTokens, start_ms: r.start - outcome.windowStart, ttft_ms: l.ttftMs, e2e_ms: r.ok ? l.e2eMs : null, tpot_ms: l.tpotMs }
  })

  // energy over the whole measured window
  const delta = energyBetween(input.energyStart, input.energyEnd)
  const measured = input.method !== 'none' && delta.total !== null
  const total = measured ? delta.total : null
  const perToken = (e: number | null, tokens: number) => (e !== null && tokens > 0 ? e / tokens : null)
  const power = (e: number | null) => (e !== null && durationSec > 0 ? e / durationSec : null)
  const adjusted = total !== null && input.baseline.power_w !== null ? total - input.baseline.power_w * durationSec : null
  if (adjusted !== null && adjusted < 0) warnings.push(`baseline-adjusted energy is negative (${adjusted.toFixed(3)} J): the idle baseline was higher than the load; the baseline is stale or the machine is busy`)

  // the steady-state window: load at its target
  const target = Math.min(input.concurrency, outcome.requests.length)
  const ss = steadyStateWindow(outcome.requests, target)
  let steady: RawProcessResult['steady_state_window'] = null
  if (ss) {
    const a = interpolateSnapshot(input.timeline, ss.start)
    const b = interpolateSnapshot(input.timeline, ss.end)
    const e = measured && a && b ? energyBetween(a, b).total : null
    const tokens = outcome.requests.reduce((acc, r) => acc + r.chunkTimes.reduce((n, t, i) => n + (t >= ss.start && t <= ss.end ? r.chunkCounts[i] : 0), 0), 0)
    steady = { start_sec: (ss.start - outcome.windowStart) / 1000, end_sec: (ss.end - outcome.windowStart) / 1000, duration_sec: (ss.end - ss.start) / 1000, energy_j: e, output_tokens: tokens, energy_per_token_j: perToken(e, tokens), target_concurrency: target }
  } else if (outcome.requests.length) warnings.push(`the load never held ${target} requests in flight: no steady-state window`)

  const flops = estimateFlops(input.model, ok.map((r) => ({ input: r.inputTokens, output: r.outputTokens })))
  const energy: Energy = {
    total_energy_j: total,
    gpu_energy_j: measured ? delta.gpu : null,
    cpu_energy_j: measured ? delta.cpu : null,
    ram_energy_j: measured ? delta.dram : null,
    gpu_power_w: measured ? power(delta.gpu) : null,
    cpu_power_w: measured ? power(delta.cpu) : null,
    ram_power_w: measured ? power(delta.dram) : null,
    duration_sec: durationSec,
    emissions_kg_co2: total !== null ? emissionsKg(total, input.carbon.g_per_kwh) : null,
    energy_per_token_j: perToken(total, outputTokens),
    energy_per_request_j: total !== null && ok.length ? total / ok.length : null,
    method: measured ? input.method : 'none',
    confidence: measured ? input.confidence : 'none',
    probes: input.probes,
    carbon_intensity_g_per_kwh: input.carbon.g_per_kwh,
    carbon_intensity_source: input.carbon.source,
  }
  const outTps = durationSec > 0 ? outputTokens / durationSec : 0
  const e2eSummary = summarise(e2e)
  const tpotMean = summarise(tpot)?.mean ?? null
  return {
    warnings,
    requests,
    steady,
    energy,
    energyPerDevice: measured ? delta.perDomain : {},
    breakdown: {
      raw_j: total,
      adjusted_j: adjusted,
      baseline_power_w: input.baseline.power_w,
      baseline_method: input.baseline.method,
      baseline_cache_age_sec: input.baseline.cache_age_sec,
      baseline_duration_sec: input.baseline.duration_sec,
      baseline_samples: input.baseline.samples,
    } satisfies NonNullable<RawProcessResult['energy_breakdown']>,
    inference: {
      total_tokens: inputTokens + outputTokens,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      inference_time_sec: durationSec,
      tokens_per_second: durationSec > 0 ? (inputTokens + outputTokens) / durationSec : 0,
      output_tokens_per_second: outTps,
      requests_per_second: durationSec > 0 ? ok.length / durationSec : 0,
      latency_per_token_ms: outputTokens > 0 ? (durationSec * 1000) / outputTokens : null,
      time_to_first_token_ms: summarise(ttft)?.mean ?? null,
      num_requests: outcome.requests.length,
      num_failed_requests: failed,
      latency_measurements: {
        ttft_ms: ttft,
        itl_full_ms: itlFull,
        itl_trimmed_ms: itlTrimmed,
        request_count: ok.length,
        total_output_tokens: outputTokens,
        excluded_tokens: itlFull.length - itlTrimmed.length,
        streaming_mode: input.latencyMode === 'TRUE_STREAMING',
        warmup_requests_excluded: input.warmupRequests,
        measurement_mode: input.latencyMode,
      },
    } satisfies NonNullable<RawProcessResult['inference_metrics']>,
    compute: {
      flops_total: flops.total,
      flops_per_token: flops.total !== null && outputTokens > 0 ? flops.total / (inputTokens + outputTokens) : null,
      flops_per_second: flops.total !== null && durationSec > 0 ? flops.total / durationSec : null,
      peak_memory_mb: input.peakRssMb,
      model_memory_mb: input.modelMemoryMb,
      flops_method: flops.method,
      flops_confidence: flops.confidence,
      compute_precision: input.model.precision,
    } satisfies NonNullable<RawProcessResult['compute_metrics']>,
    extended: {
      tpot_ms: tpotMean,
      // throughput x tokens per joule: higher is better on both axes at once (LLenergyMeasure's index, precision factor 1)
      token_efficiency_index: total !== null && total > 0 ? outTps * (outputTokens / total) : null,
      memory: { peak_memory_mb: input.peakRssMb, model_memory_mb: input.modelMemoryMb, tokens_per_gb: input.peakRssMb > 0 ? outputTokens / (input.peakRssMb / 1024) : null, rss_peak_mb: input.peakRssMb },
      gpu_utilisation: { sm_utilisation_mean: null, memory_bandwidth_utilisation: null },
      batch: { effective_batch_size: ss ? meanInFlight(outcome, ss) : null, target_concurrency: target, padding_overhead: null },
      kv_cache: { prefix_cache_hit_rate: null, kv_cache_usage_mean: null },
      request_latency: { e2e_ms: e2eSummary, goodput: null },
    } satisfies NonNullable<RawProcessResult['extended_metrics']>,
    perRequestLatencies: e2e,
  }
}

/** Time-weighted mean number of requests in flight inside the window. */
function meanInFlight(outcome: LoadOutcome, w: { start: number; end: number }): number | null {
  const span = w.end - w.start
  if (span <= 0) return null
  let busy = 0
  for (const r of outcome.requests) busy += Math.max(0, Math.min(r.end, w.end) - Math.max(r.start, w.start))
  return busy / span
}
