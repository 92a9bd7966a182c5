/**
 * What llem reads from a serving engine's own metrics endpoint, whatever its format: how many requests
 * it is running (its batch), how many wait, how full its KV cache is and how often its prefix cache
 * hits. Each engine has a reader turning one scrape into a sample; known names for the generic
 * `server` backend are tried in order (vLLM, SGLang, TGI, llama.cpp's server).
 */
import { parsePrometheus, pick } from './prometheus.js'

export interface EngineSample {
  /** performance.now() of the scrape */
  t: number
  running: number | null
  waiting: number | null
  /** fraction 0..1 of KV-cache blocks in use */
  kvUsage: number | null
  /** cumulative prefix-cache counters, when the engine has them */
  prefixHits: number | null
  prefixQueries: number | null
  /** the engine's own hit rate, when it gives a rate instead of counters */
  prefixHitRate: number | null
}

export type EngineMetricsReader = (body: string, t: number) => EngineSample | null

const empty = (t: number): EngineSample => ({ t, running: null, waiting: null, kvUsage: null, prefixHits: null, prefixQueries: null, prefixHitRate: null })

/** vLLM's Prometheus names (its "Production Metrics" docs; docs/references.md); kv_cache_usage_perc is a fraction despite its name. */
export const readVllm: EngineMetricsReader = (body, t) => {
  const m = parsePrometheus(body)
  if (m.size === 0) return null
  return {
    t,
    running: pick(m, 'vllm:num_requests_running'),
    waiting: pick(m, 'vllm:num_requests_waiting'),
    kvUsage: pick(m, 'vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'),
    prefixHits: pick(m, 'vllm:prefix_cache_hits', 'vllm:gpu_prefix_cache_hits'),
    prefixQueries: pick(m, 'vllm:prefix_cache_queries', 'vllm:gpu_prefix_cache_queries'),
    prefixHitRate: pick(m, 'vllm:gpu_prefix_cache_hit_rate'),
  }
}

/** Any Prometheus endpoint: the first engine whose names are present wins. */
export const readKnownPrometheus: EngineMetricsReader = (body, t) => {
  const m = parsePrometheus(body)
  if (m.size === 0) return null
  if ([...m.keys()].some((k) => k.startsWith('vllm:'))) return readVllm(body, t)
  const s = empty(t)
  s.running = pick(m, 'sglang:num_running_reqs', 'tgi_batch_current_size', 'llamacpp:requests_processing', 'trtllm_num_requests_running')
  s.waiting = pick(m, 'sglang:num_queue_reqs', 'tgi_queue_size', 'llamacpp:requests_deferred', 'trtllm_num_requests_waiting')
  s.kvUsage = pick(m, 'sglang:token_usage', 'trtllm_kv_cache_utilization')
  s.prefixHitRate = pick(m, 'sglang:cache_hit_rate', 'trtllm_kv_cache_hit_rate')
  // llama.cpp's server counts prompt tokens taken from its cache apart from those it computed
  // (prompt_tokens_total excludes them): hits over all prompt tokens, in tokens as vLLM counts them
  const llamaCached = pick(m, 'llamacpp:prompt_tokens_cached_total')
  const llamaComputed = pick(m, 'llamacpp:prompt_tokens_total')
  if (llamaCached !== null && llamaComputed !== null) {
    s.prefixHits = llamaCached
    s.prefixQueries = llamaCached + llamaComputed
  }
  return s
}

/**
 * trtllm-serve's /metrics: a JSON list of the executor's iteration stats since the previous call
 * (each call drains them; the server needs `enable_iter_perf_stats`). One scrape becomes one sample:
 * the batch is the mean of numActiveRequests over the iterations it returned.
 */
export const readTrtllm: EngineMetricsReader = (body, t) => {
  let stats: unknown
  try {
    stats = JSON.parse(body)
  } catch {
    return null
  }
  if (!Array.isArray(stats)) return null
  const s = empty(t)
  const iters = stats.filter((x): x is Record<string, any> => typeof x === 'object' && x !== null)
  // no iterations since the last scrape: the engine ran nothing
  if (iters.length === 0) return { ...s, running: 0 }
  const mean = (f: (x: Record<string, any>) => unknown) => {
    const v = iters.map(f).filter((x): x is number => typeof x === 'number')
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null
  }
  s.running = mean((x) => x.numActiveRequests)
  s.waiting = mean((x) => x.numQueuedRequests)
  s.kvUsage = mean((x) => (x.kvCacheStats?.maxNumBlocks > 0 ? x.kvCacheStats.usedNumBlocks / x.kvCacheStats.maxNumBlocks : undefined))
  const last = iters[iters.length - 1].kvCacheStats
  s.prefixHitRate = typeof last?.cacheHitRate === 'number' ? last.cacheHitRate : null
  return s
}
