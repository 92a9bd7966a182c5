/**
 * Latency from token timestamps, with vLLM's definitions: TTFT = first chunk - request start;
 * ITL = gaps between chunks (a chunk of k tokens spreads its gap evenly over k tokens and is flagged);
 * TPOT = (E2E - TTFT) / (output tokens - 1); E2E = end - start. Trimmed ITL drops each request's
 * first and last interval (scheduler hand-off and end-of-request effects).
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
  return { ttftMs: ttft, e2eMs: e2e, tpotMs: tpot, itlMs: itl, itlTrimmedMs: itl.length > 2 ? itl.slice(1, -1) : [], multiTokenChunks: multi }
}

const r = (v: number | undefined | null) => (v === undefined || v === null ? null : v)

export function latencyStatistics(
  samples: { ttft: number[]; itlTrimmed: number[]; itlFull: number[]; tpot: number[]; e2e: number[] },
  mode: LatencyMode,
): LatencyStatistics {
  const ttft = summarise(samples.ttft)
  const itl = summarise(samples.itlTrimmed)
  const full = summarise(samples.itlFull)
  const tpot = summarise(samples.tpot)
  const e2e = summarise(samples.e2e)
  return {
    ttft_mean_ms: r(ttft?.mean), ttft_median_ms: r(ttft?.median), ttft_p90_ms: r(ttft?.p90), ttft_p95_ms: r(ttft?.p95), ttft_p99_ms: r(ttft?.p99), ttft_min_ms: r(ttft?.min), ttft_max_ms: r(ttft?.max), ttft_samples: ttft?.count ?? 0,
    itl_mean_ms: r(itl?.mean), itl_median_ms: r(itl?.median), itl_p90_ms: r(itl?.p90), itl_p95_ms: r(itl?.p95), itl_p99_ms: r(itl?.p99), itl_min_ms: r(itl?.min), itl_max_ms: r(itl?.max), itl_samples: itl?.count ?? 0,
    itl_full_mean_ms: r(full?.mean), itl_full_median_ms: r(full?.median), itl_full_p99_ms: r(full?.p99), itl_full_samples: full?.count ?? 0,
    tpot_mean_ms: r(tpot?.mean), tpot_median_ms: r(tpot?.median),
    e2e_mean_ms: r(e2e?.mean), e2e_median_ms: r(e2e?.median), e2e_p90_ms: r(e2e?.p90), e2e_p95_ms: r(e2e?.p95), e2e_p99_ms: r(e2e?.p99), e2e_min_ms: r(e2e?.min), e2e_max_ms: r(e2e?.max),
    measurement_mode: mode,
  }
}
