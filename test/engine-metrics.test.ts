/**
 * Reading serving engines' own metrics: Prometheus text (labels with spaces and braces, counters with
 * _total, histograms ignored), vLLM's names across versions, trtllm-serve's JSON iteration stats, and
 * the window summary (prefix hit rate from counter deltas, failed scrapes counted, never invented).
 */
import { describe, expect, it } from 'vitest'
import { readKnownPrometheus, readTrtllm, readVllm } from '../plugins/backends/managed/engine-metrics.js'
import { summarise } from '../plugins/backends/managed/metrics-scraper.js'
import { parsePrometheus } from '../plugins/backends/managed/prometheus.js'
import { stepMean } from '../core/measure/build-metrics.js'

describe('Prometheus text', () => {
  it('sums a name over its label sets and skips comments, bad values and histogram parts it is not asked for', () => {
    const m = parsePrometheus(['# HELP x y', '# TYPE x gauge', 'x{model="a b",k="}"} 2', 'x{model="c"} 3.5', 'y 1e3 1700000000', 'z{a="\\"q\\""} +Inf', 'bad line', 'w NaNx'].join('\n'))
    expect(m.get('x')).toBe(5.5)
    expect(m.get('y')).toBe(1000)
    expect(m.get('z')).toBe(Infinity)
    expect(m.has('w')).toBe(false)
  })

  it('vLLM: current and older names, counters with _total', () => {
    const now = readVllm('vllm:num_requests_running{model_name="m"} 3.0\nvllm:num_requests_waiting{model_name="m"} 1\nvllm:kv_cache_usage_perc{model_name="m"} 0.25\nvllm:prefix_cache_queries_total{model_name="m"} 100\nvllm:prefix_cache_hits_total{model_name="m"} 40\n', 5)!
    expect(now).toEqual({ t: 5, running: 3, waiting: 1, kvUsage: 0.25, prefixHits: 40, prefixQueries: 100, prefixHitRate: null })
    const old = readVllm('vllm:num_requests_running 2\nvllm:gpu_cache_usage_perc 0.5\nvllm:gpu_prefix_cache_hit_rate 0.3\n', 1)!
    expect([old.running, old.kvUsage, old.prefixHitRate]).toEqual([2, 0.5, 0.3])
  })

  it('the generic reader knows SGLang, TGI and llama.cpp names', () => {
    expect(readKnownPrometheus('sglang:num_running_reqs 4\nsglang:num_queue_reqs 2\nsglang:token_usage 0.4\n', 0)!.running).toBe(4)
    expect(readKnownPrometheus('tgi_batch_current_size 6\ntgi_queue_size 1\n', 0)!.waiting).toBe(1)
    expect(readKnownPrometheus('llamacpp:requests_processing 2\nllamacpp:requests_deferred 0\n', 0)!.running).toBe(2)
    expect(readKnownPrometheus('', 0)).toBeNull()
  })
})

describe('trtllm-serve iteration stats', () => {
  it('one scrape: the mean over the iterations it returned; none returned means nothing ran', () => {
    const body = JSON.stringify([
      { numActiveRequests: 2, numQueuedRequests: 1, kvCacheStats: { maxNumBlocks: 100, usedNumBlocks: 20, cacheHitRate: 0.1 } },
      { numActiveRequests: 4, numQueuedRequests: 3, kvCacheStats: { maxNumBlocks: 100, usedNumBlocks: 40, cacheHitRate: 0.2 } },
    ])
    const r = readTrtllm(body, 7)!
    expect(r).toMatchObject({ t: 7, running: 3, waiting: 2, prefixHitRate: 0.2 })
    expect(r.kvUsage).toBeCloseTo(0.3)
    expect(readTrtllm('[]', 1)!.running).toBe(0)
    expect(readTrtllm('not json', 1)).toBeNull()
    expect(readTrtllm('{"a":1}', 1)).toBeNull()
  })
})

describe('the window summary', () => {
  const meta = { url: 'http://x/metrics', format: 'vllm prometheus', intervalMs: 1000, failures: 0, lastError: null }
  const s = (t: number, running: number, q: number, h: number) => ({ t, running, waiting: 0, kvUsage: 0.5, prefixHits: h, prefixQueries: q, prefixHitRate: null })

  it('hit rate from the counters\' change over the window, not since the engine started', () => {
    const o = summarise([s(0, 1, 1000, 900), s(1000, 2, 1100, 950), s(2000, 2, 1200, 1000)], meta)
    expect(o.kv_cache!.prefix_cache_hit_rate).toBeCloseTo(100 / 200)
    expect(o.running).toHaveLength(3)
    expect(o.server!.running_requests_max).toBe(2)
    expect(o.warnings).toEqual([])
  })

  it('no samples: warned, and nothing made up', () => {
    const o = summarise([], { ...meta, failures: 3, lastError: 'HTTP 404' })
    expect(o.running).toBeUndefined()
    expect(o.kv_cache).toEqual({ prefix_cache_hit_rate: null, kv_cache_usage_mean: null })
    expect(o.warnings![0]).toContain('gave no samples (3 failed scrapes: HTTP 404)')
  })

  it('the batch is the time-weighted running count inside the window', () => {
    // 2 running from 0 to 1000, 4 from 1000 on; the window [500, 2000] sees 2 for 500 ms and 4 for 1000 ms
    expect(stepMean([{ t: 0, value: 2 }, { t: 1000, value: 4 }], { start: 500, end: 2000 })).toBeCloseTo((2 * 500 + 4 * 1000) / 1500)
    expect(stepMean([{ t: 3000, value: 1 }], { start: 0, end: 1000 })).toBeNull()
  })
})
