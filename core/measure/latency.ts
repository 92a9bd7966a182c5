/**
 * Latency from token timestamps, with vLLM's definitions: TTFT = first chunk - request start;
 * ITL = gaps between chunks (a chunk of k tokens spreads its gap evenly over k tokens and is flagged);
 * TPOT = (E2E - TTFT) / (output tokens - 1); E2E = end - start. Trimmed ITL drops each request's
 * first and last interval (scheduler hand-off and end-of-request effects). In an open loop a request
 * also has a scheduled time: its client queue time (waiting for a slot under the concurrency cap) and
 * TTFT / E2E counted from the schedule are reported beside the figures counted from the send.
 */
import { summarise } from '../stats/summary.js'
import type { LatencyStatistics } from '../results/schema.js'
import type { RequestTiming } from './load-runner.js'

export type LatencyMode = 'TRUE_STREAMING' | 'PER_REQUEST_BATCH' | 'PROPORTIONAL_ESTIMATE'

export interface RequestLatency {
  ttftMs: number | null
  e2eMs: number
  tpotMs: number | null
  itlMs: number[]
  itlTrimmedMs: number[]
  multiTokenChunks: number
  /** open loop: send - scheduled time, and TTFT / E2E from the scheduled time; null in closed loop */
  queueMs: number | null
  ttftInclQueueMs: number | null
  e2eInclQueueMs: number | null
}

export function requestLatency(t: RequestTiming): RequestLatency {
  const itl: number[] = []
  let multi = 0
  for (let i = 1; i < t.chunkTimes.length; i++) {
    const gap = t.chunkTimes[i] - t.chunkTimes[i - 1]
    const k = t.chunkCounts[i]
    if (k > 1) multi++
    for (let j = 0; j < k; j++) itl.push(gap / k)
  }
  const ttft = t.chunkTimes.length ? t.chunkTimes[0] - t.start : null
  const e2e = t.end - t.start
  const tpot = ttft !== null && t.outputTokens > 1 ? (e2e - ttft) / (t.outputTokens - 1) : null
  const scheduled = t.scheduled ?? null
  return {
    ttftMs: ttft, e2eMs: e2e, tpotMs: tpot, itlMs: itl, itlTrimmedMs: itl.length > 2 ? itl.slice(1, -1) : [], multiTokenChunks: multi,
    queueMs: scheduled === null ? null : t.start - scheduled,
    ttftInclQueueMs: scheduled === null || !t.chunkTimes.length ? null : t.chunkTimes[0] - scheduled,
    e2eInclQueueMs: scheduled === null ? null : t.end - scheduled,
  }
}

const r = (v: number | undefined | null) => (v === undefined || v === null ? null : v)

export function latencyStatistics(
  samples: { ttft: number[]; itlTrimmed: number[]; itlFull: number[]; tpot: number[]; e2e: number[]; queue?: number[]; ttftInclQueue?: number[]; e2eInclQueue?: number[] },
  mode: LatencyMode,
): LatencyStatistics {
  const queue = summarise(samples.queue ?? [])
  const ttftQ = summarise(samples.ttftInclQueue ?? [])
  const e2eQ = summarise(samples.e2eInclQueue ?? [])
  const ttft = summarise(samples.ttft)
  const itl = summarise(samples.itlTrimmed)
  const full = summarise(samples.itlFull)
  const tpot = summarise(samples.tpot)
  const e2e = summarise(samples.e2e)
  return {
    ttft_mean_ms: r(ttft?.mean), ttft_median_ms: r(ttft?.median), ttft_p90_ms: r(ttft?.p90), ttft_p95_ms: r(ttft?.p95), ttft_p99_ms: r(ttft?.p99), ttft_min_ms: r(ttft?.min), ttft_max_ms: r(ttft?.max), ttft_samples: ttft?.count ?? 0,
    itl_mean_ms: r(itl?.mean), itl_median_ms: r(itl?.median), itl_p90_ms: r(itl?.p90), itl_p95_ms: r(itl?.p95), itl_p99_ms: r(itl?.p99), itl_min_ms: r(itl?.min), itl_max_ms: r(itl?.max), itl_samples: itl?.count ?? 0,
    itl_full_mean_ms: r(full?.mean), itl_full_median_ms: r(full?.median), itl_full_p99_ms: r(full?.p99), itl_full_samples: full?.count ?? 0,
    tpot_mean_ms: r(tpot?.mean), tpot_median_ms: r(tpot?.median), tpot_p99_ms: r(tpot?.p99),
    e2e_mean_ms: r(e2e?.mean), e2e_median_ms: r(e2e?.median), e2e_p90_ms: r(e2e?.p90), e2e_p95_ms: r(e2e?.p95), e2e_p99_ms: r(e2e?.p99), e2e_min_ms: r(e2e?.min), e2e_max_ms: r(e2e?.max),
    client_queue_mean_ms: r(queue?.mean), client_queue_median_ms: r(queue?.median), client_queue_p99_ms: r(queue?.p99), client_queue_max_ms: r(queue?.max),
    ttft_incl_queue_mean_ms: r(ttftQ?.mean), ttft_incl_queue_median_ms: r(ttftQ?.median), ttft_incl_queue_p90_ms: r(ttftQ?.p90), ttft_incl_queue_p99_ms: r(ttftQ?.p99),
    e2e_incl_queue_mean_ms: r(e2eQ?.mean), e2e_incl_queue_median_ms: r(e2eQ?.median), e2e_incl_queue_p90_ms: r(e2eQ?.p90), e2e_incl_queue_p99_ms: r(e2eQ?.p99),
    measurement_mode: mode,
  }
}
