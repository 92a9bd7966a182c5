/**
 * Scrapes an engine's metrics endpoint every `intervalMs` through the measured window (once at the
 * start, once at the stop) and turns the samples into WindowObservations: the running-request series
 * (the harness averages it over the steady-state window as the batch size), the waiting queue, KV-cache
 * usage and the prefix-cache hit rate over the window. A failed scrape is counted, never invented.
 */
import { performance } from 'node:perf_hooks'
import type { WindowObservations, WindowObserver } from 'llem/plugin/runtime'
import { maxOf } from 'llem/plugin/runtime'
import type { EngineMetricsReader, EngineSample } from './engine-metrics.js'

export interface ScrapeTarget {
  url: string
  reader: EngineMetricsReader
  /** a name for the format, kept in the result */
  format: string
  intervalMs?: number
}

export function scrapeWindow(target: ScrapeTarget, log: (line: string) => void): WindowObserver {
  const intervalMs = target.intervalMs ?? 1000
  const samples: EngineSample[] = []
  let failures = 0
  let lastError: string | null = null
  let pending: Promise<void> = Promise.resolve()
  const scrape = async () => {
    const t = performance.now()
    try {
      const res = await fetch(target.url, { signal: AbortSignal.timeout(Math.max(200, intervalMs - 100)) })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const s = target.reader(await res.text(), t)
      if (s === null) throw new Error(`not ${target.format} metrics`)
      samples.push(s)
    } catch (e) {
      failures++
      lastError = e instanceof Error ? e.message : String(e)
      if (failures === 1) log(`metrics scrape of ${target.url} failed: ${lastError}`)
    }
  }
  // scrapes never overlap: a slow endpoint delays the next one instead of piling requests on the engine
  const tick = () => {
    pending = pending.then(scrape)
  }
  tick()
  const timer = setInterval(tick, intervalMs)
  timer.unref()
  return {
    async stop(): Promise<WindowObservations> {
      clearInterval(timer)
      tick()
      await pending
      return summarise(samples, { url: target.url, format: target.format, intervalMs, failures, lastError })
    },
  }
}

function stats(values: (number | null)[]): { mean: number; max: number } | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x))
  return v.length ? { mean: v.reduce((a, b) => a + b, 0) / v.length, max: maxOf(v) } : null
}

export function summarise(samples: EngineSample[], meta: { url: string; format: string; intervalMs: number; failures: number; lastError: string | null }): WindowObservations {
  const warnings: string[] = []
  const running = samples.filter((s) => s.running !== null).map((s) => ({ t: s.t, value: s.running as number }))
  if (samples.length === 0)
    warnings.push(`the engine's metrics endpoint ${meta.url} gave no samples (${meta.failures} failed scrapes: ${meta.lastError}): batch size is llem's own count of requests in flight`)
  else if (running.length === 0) warnings.push(`the engine's metrics at ${meta.url} have no running-requests figure: batch size is llem's own count of requests in flight`)
  else if (meta.failures > 0) warnings.push(`${meta.failures} of ${meta.failures + samples.length} scrapes of ${meta.url} failed (${meta.lastError})`)
  const first = samples.find((s) => s.prefixQueries !== null)
  const last = samples.findLast((s) => s.prefixQueries !== null)
  const queries = first && last ? last.prefixQueries! - first.prefixQueries! : 0
  // counters over the window when the engine has them; else its own rate at the end of the window
  const hitRate = first && last && queries > 0 ? (last.prefixHits! - first.prefixHits!) / queries : (samples.findLast((s) => s.prefixHitRate !== null)?.prefixHitRate ?? null)
  const kv = stats(samples.map((s) => s.kvUsage))
  const waiting = stats(samples.map((s) => s.waiting))
  const run = stats(samples.map((s) => s.running))
  return {
    running: running.length ? running : undefined,
    kv_cache: { prefix_cache_hit_rate: hitRate, kv_cache_usage_mean: kv?.mean ?? null },
    server: {
      metrics_url: meta.url,
      metrics_format: meta.format,
      scrape_interval_ms: meta.intervalMs,
      scrapes: samples.length,
      failed_scrapes: meta.failures,
      running_requests_mean: run?.mean ?? null,
      running_requests_max: run?.max ?? null,
      waiting_requests_mean: waiting?.mean ?? null,
      waiting_requests_max: waiting?.max ?? null,
      kv_cache_usage_max: kv?.max ?? null,
      prefix_cache_queries: first && last ? queries : null,
    },
    warnings,
  }
}
