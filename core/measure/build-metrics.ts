/**
 * From the measured window (token timings, energy snapshots, the timeline) to the metric blocks of a
 * RawProcessResult. Pure functions: everything here runs after the window has closed.
 */
import type { ModelInfo, WindowObservations } from '../backends/types.js'
import type { RawProcessResult, RequestRecord } from '../results/schema.js'
import { summarise } from '../stats/summary.js'
import { buildEnergy, energyWindow, type EnergyInput } from './energy-metrics.js'
import { maxOf } from '../stats/extent.js'
import { estimateFlops } from './flops.js'
import { EXPERIMENT_DEFAULTS } from '../config/defaults.js'
import { requestLatency, type LatencyMode } from './latency.js'
import { fitTokenEnergy } from './token-energy-fit.js'

export interface MetricsInput extends Omit<EnergyInput, 'outputTokens' | 'okRequests'> {
  latencyMode: LatencyMode
  warmupRequests: number
  model: ModelInfo
  peakRssMb: number
  modelMemoryMb: number | null
  slo?: { ttftMs: number | null; tpotMs: number | null; e2eMs: number | null }
  /** the backend's own view of the window (engine metrics, worker memory): preferred where present */
  observed?: WindowObservations | null
  /** measurement.clientLoopDelayWarnMs; its default when not given */
  clientLoopDelayWarnMs?: number
  /** embeddings: nothing is generated, so output-token rates are null rather than 0 */
  task?: 'generate' | 'embeddings'
}

/**
 * SLO attainment: the share of requests meeting every target that is set (failed ones do not). vLLM's
 * "goodput" is the rate of such requests (requests/s over the benchmark's duration): see sloGoodput.
 */
export function sloAttainment(requests: RequestRecord[], slo: MetricsInput['slo']): number | null {
  if (!slo || (slo.ttftMs === null && slo.tpotMs === null && slo.e2eMs === null) || requests.length === 0) return null
  const meets = (r: RequestRecord) =>
    r.ok &&
    (slo.ttftMs === null || (r.ttft_ms !== null && r.ttft_ms <= slo.ttftMs)) &&
    (slo.tpotMs === null || r.tpot_ms === null || r.tpot_ms <= slo.tpotMs) &&
    (slo.e2eMs === null || (r.e2e_ms !== null && r.e2e_ms <= slo.e2eMs))
  return requests.filter(meets).length / requests.length
}

/** the share of the window the client's loop must be busy for its lateness to be its own doing */
const SATURATED_UTILISATION = 0.5

export function buildMetrics(input: MetricsInput) {
  // one window for everything: the interval between the two energy reads (see energyWindow)
  const outcome = energyWindow(input)
  const warnings: string[] = []
  const durationSec = (outcome.windowEnd - outcome.windowStart) / 1000
  const ok = outcome.requests.filter((r) => r.ok)
  const lat = ok.map(requestLatency)
  const inputTokens = outcome.requests.reduce((a, r) => a + r.inputTokens, 0)
  const outputTokens = outcome.requests.reduce((a, r) => a + r.outputTokens, 0)
  const multi = lat.reduce((a, l) => a + l.multiTokenChunks, 0)
  if (multi > 0) warnings.push(`${multi} chunks carried several tokens: their gap was spread evenly over the tokens (ITL smoothing)`)
  const failed = outcome.requests.length - ok.length
  const chunked = outcome.requests.filter((r) => r.ok && r.outputTokens > r.chunkCounts.reduce((a, b) => a + b, 0)).length
  if (chunked > 0) warnings.push(`${chunked} requests: the server's usage counted more tokens than chunks arrived (several tokens per chunk): output tokens come from usage, ITL is per chunk`)
  if (failed > 0) warnings.push(`${failed} of ${outcome.requests.length} requests failed: ${[...new Set(outcome.requests.filter((r) => !r.ok).map((r) => r.error))].slice(0, 3).join('; ')}`)
  const capped = outcome.requests.filter((r) => r.waitedForCap)
  if (capped.length > 0) {
    const worst = maxOf(capped.map((r) => r.start - r.scheduled!))
    warnings.push(`${capped.length} of ${outcome.requests.length} requests arrived with load.concurrency = ${input.concurrency} already in flight and waited in the client up to ${worst.toFixed(0)} ms before being sent: ttft/e2e count from the send (the server's view); ttft_incl_queue/e2e_incl_queue count from the scheduled arrival`)
  }

  const loop = outcome.clientLoopDelay ?? null
  const loopLimit = input.clientLoopDelayWarnMs ?? EXPERIMENT_DEFAULTS.measurement.clientLoopDelayWarnMs
  // saturated: late beyond the limit while busy most of the time (lateness of an idle loop comes from
  // elsewhere on the machine: it is recorded, but more streams per process would not be the cause)
  if (loop && loop.p99_ms > loopLimit && loop.utilisation >= SATURATED_UTILISATION)
    warnings.push(`client saturated: llem's event loop was busy ${(loop.utilisation * 100).toFixed(0)}% of the window and ran up to ${loop.p99_ms.toFixed(1)} ms late (p99; max ${loop.max_ms.toFixed(1)} ms), above measurement.clientLoopDelayWarnMs = ${loopLimit} ms: token times stamped by llem's client may be late by that much. Use fewer streams per process (data parallel processes, or a lower concurrency) or a machine with more free cores`)

  const e = buildEnergy({ ...input, outputTokens, okRequests: ok.length })
  warnings.push(...e.warnings)

  const itlFull = lat.flatMap((l) => l.itlMs)
  const itlTrimmed = lat.flatMap((l) => l.itlTrimmedMs)
  const ttft = lat.map((l) => l.ttftMs).filter((v): v is number => v !== null)
  const e2e = lat.map((l) => l.e2eMs)
  const tpot = lat.map((l) => l.tpotMs).filter((v): v is number => v !== null)
  const requests: RequestRecord[] = outcome.requests.map((r) => {
    const l = requestLatency(r)
    return {
      index: r.index, prompt_id: r.promptId, ok: r.ok, error: r.error, input_tokens: r.inputTokens, output_tokens: r.outputTokens,
      ...(r.requestedOutputTokens !== undefined ? { requested_output_tokens: r.requestedOutputTokens } : {}),
      ...(r.cachedInputTokens !== undefined ? { cached_input_tokens: r.cachedInputTokens } : {}),
      ...(r.prefixId !== undefined ? { prefix_id: r.prefixId } : {}),
      start_ms: r.start - outcome.windowStart, ttft_ms: l.ttftMs, e2e_ms: r.ok ? l.e2eMs : null, tpot_ms: r.ok ? l.tpotMs : null,
      scheduled_ms: r.scheduled === undefined || r.scheduled === null ? null : r.scheduled - outcome.windowStart,
      client_queue_ms: l.queueMs, ttft_incl_queue_ms: l.ttftInclQueueMs, e2e_incl_queue_ms: r.ok ? l.e2eInclQueueMs : null,
      // a failed request's energy is not apportioned (J/output token x its tokens would say 0 J)
      energy_j: r.ok ? e.requestEnergy(r.outputTokens) : null,
      ...(r.turn !== undefined ? { conversation_id: r.index, turn: r.turn, think_time_ms: r.thinkMs ?? 0 } : {}),
    }
  })

  const flops = estimateFlops(input.model, ok.map((r) => ({ input: r.inputTokens, output: r.outputTokens })))
  // per token of the same requests the total counts: the successful ones (a failed request's tokens
  // are in no FLOPs figure)
  const okTokens = ok.reduce((a, r) => a + r.inputTokens + r.outputTokens, 0)
  // a window with no duration has no rate: null, never 0 tokens/s
  const outTps = durationSec > 0 && input.task !== 'embeddings' ? outputTokens / durationSec : null
  // GPU memory when the workload put something on a GPU; else this process's RSS (a CPU backend)
  const obs = input.observed ?? null
  const obsMem = obs?.memory ?? null
  // the backend's own process (a Python worker, a server) holds the model: its figures beat this process's RSS
  const peakMemory = e.gpuMemoryPeakMb !== null && e.gpuMemoryPeakMb > 0 ? e.gpuMemoryPeakMb : (obsMem?.peak_memory_mb ?? input.peakRssMb)
  const modelMemory = obsMem?.model_memory_mb ?? input.modelMemoryMb
  if (obs?.warnings) warnings.push(...obs.warnings)
  // the engine's running count is the true batch; the client's in-flight count includes queueing
  const clientBatch = e.ss ? meanInFlight(outcome, e.ss) : null
  // the engine's mean and the client's beside it are taken over one span: the steady state, or the
  // whole window when there is none (a short or loaded run), so the two stay comparable
  const batchSpan = e.ss ?? { start: outcome.windowStart, end: outcome.windowEnd }
  const engineBatch = obs?.running?.length ? stepMean(obs.running, batchSpan) : null
  return {
    warnings,
    requests,
    steady: e.steady,
    energy: e.energy,
    energyPerDevice: e.perDevice,
    energyPerDeviceUncertainty: e.perDeviceUncertainty,
    breakdown: e.breakdown,
    headline: e.headline,
    validation: e.validation,
    thermal: e.thermal,
    gpuUtilSamples: e.gpuUtilSamples,
    inference: {
      total_tokens: inputTokens + outputTokens,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      inference_time_sec: durationSec,
      tokens_per_second: durationSec > 0 ? (inputTokens + outputTokens) / durationSec : null,
      output_tokens_per_second: outTps,
      requests_per_second: durationSec > 0 ? ok.length / durationSec : null,
      latency_per_token_ms: outputTokens > 0 ? (durationSec * 1000) / outputTokens : null,
      time_to_first_token_ms: summarise(ttft)?.mean ?? null,
      num_requests: outcome.requests.length,
      num_failed_requests: failed,
      failed_request_share: outcome.requests.length > 0 ? failed / outcome.requests.length : null,
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
        client_loop_delay_p99_ms: loop?.p99_ms ?? null,
        client_loop_delay_max_ms: loop?.max_ms ?? null,
        client_loop_utilisation: loop?.utilisation ?? null,
        // load.clientThreads set: the count, why, and each thread's loop delay (the figures above are then the worst of all)
        ...(outcome.clientThreads ? { client_threads: outcome.clientThreads.count, client_threads_reason: outcome.clientThreads.reason, client_thread_loop_delay_p99_ms: outcome.clientThreads.loopDelay.map((d) => d?.p99_ms ?? null) } : {}),
      },
    } satisfies NonNullable<RawProcessResult['inference_metrics']>,
    compute: {
      flops_total: flops.total,
      flops_per_token: flops.total !== null && okTokens > 0 && ok.some((r) => r.outputTokens > 0) ? flops.total / okTokens : null,
      flops_per_second: flops.total !== null && durationSec > 0 ? flops.total / durationSec : null,
      peak_memory_mb: peakMemory,
      model_memory_mb: modelMemory,
      flops_method: flops.method,
      flops_confidence: flops.confidence,
      compute_precision: input.model.precision,
    } satisfies NonNullable<RawProcessResult['compute_metrics']>,
    extended: {
      tpot_ms: summarise(tpot)?.mean ?? null,
      // throughput x tokens per joule: higher is better on both axes at once (LLenergyMeasure's index, precision factor 1)
      token_efficiency_index: outTps !== null && e.total !== null && e.total > 0 ? outTps * (outputTokens / e.total) : null,
      memory: { peak_memory_mb: peakMemory, model_memory_mb: modelMemory, tokens_per_gb: peakMemory > 0 ? outputTokens / (peakMemory / 1024) : null, rss_peak_mb: input.peakRssMb, gpu_memory_peak_mb: e.gpuMemoryPeakMb, source: e.gpuMemoryPeakMb !== null && e.gpuMemoryPeakMb > 0 ? 'gpu probe' : (obsMem?.source ?? 'llem process rss') },
      gpu_utilisation: { sm_utilisation_mean: summarise(e.gpuUtilSamples)?.mean ?? null, memory_bandwidth_utilisation: summarise(e.gpuMemUtilSamples)?.mean ?? null },
      batch: { effective_batch_size: obs?.batch?.effective_batch_size ?? engineBatch ?? clientBatch, target_concurrency: Math.min(input.concurrency, outcome.requests.length), padding_overhead: obs?.batch?.padding_overhead ?? null },
      kv_cache: obs?.kv_cache ?? { prefix_cache_hit_rate: null, kv_cache_usage_mean: null },
      request_latency: { e2e_ms: summarise(e2e), ...sloGoodput(requests, input.slo, durationSec) },
      server: obs?.server || engineBatch !== null ? { ...obs?.server, ...(engineBatch !== null ? { avg_running_requests: engineBatch, client_in_flight_mean: meanInFlight(outcome, batchSpan) } : {}) } : null,
    } satisfies NonNullable<RawProcessResult['extended_metrics']>,
    perRequestLatencies: e2e,
    tokenEnergy: tokenEnergy(input, outcome, e.energy.method),
  }
}

/** energy per prefill and per decode token over the window's time slices (token-energy-fit.ts) */
function tokenEnergy(input: MetricsInput, outcome: MetricsInput['outcome'], method: string) {
  const gaps = input.timeline.slice(1).map((s, i) => s.t - input.timeline[i].t).sort((a, b) => a - b)
  const periods = input.devices.map((d) => d.counter_update_period_ms ?? 0)
  return fitTokenEnergy({
    requests: outcome.requests, timeline: input.timeline, windowStart: outcome.windowStart, windowEnd: outcome.windowEnd,
    // counters that move once per period are dated where they moved, as the steady-state window does
    coarse: new Set(input.devices.filter((d) => (d.counter_update_period_ms ?? 0) >= 2).map((d) => `${d.probe}:${d.domain}`)),
    sampleIntervalMs: gaps.length ? gaps[Math.floor(gaps.length / 2)] : 0, counterPeriodMs: periods.length ? maxOf(periods) : 0,
    idleW: input.baseline.power_w, energyMethod: method,
  })
}

/** Both SLO figures: the share meeting every target, and vLLM's goodput, those requests per second of the window. */
export function sloGoodput(requests: RequestRecord[], slo: MetricsInput['slo'], durationSec: number) {
  const share = sloAttainment(requests, slo)
  return { slo_attainment: share, goodput_requests_per_second: share !== null && durationSec > 0 ? (share * requests.length) / durationSec : null }
}

/** Time-weighted mean number of requests in flight inside the window. */
function meanInFlight(outcome: MetricsInput['outcome'], w: { start: number; end: number }): number | null {
  const span = w.end - w.start
  if (span <= 0) return null
  let busy = 0
  for (const r of outcome.requests) busy += Math.max(0, Math.min(r.end, w.end) - Math.max(r.start, w.start))
  return busy / span
}

/** Time-weighted mean of a sampled step series (each value holds until the next sample) inside the window. */
export function stepMean(series: { t: number; value: number }[], w: { start: number; end: number }): number | null {
  let area = 0
  let span = 0
  for (let i = 0; i < series.length; i++) {
    const from = Math.max(series[i].t, w.start)
    const to = Math.min(series[i + 1]?.t ?? w.end, w.end)
    if (to > from) {
      area += series[i].value * (to - from)
      span += to - from
    }
  }
  return span > 0 ? area / span : null
}
