/**
 * Warmup before the measured window: caches, allocator, CPU frequency and the backend's lazy paths
 * settle. Mode 'cv' sends requests one at a time until the coefficient of variation of the last
 * `window` request latencies per output token is under `cvThreshold` (at least minRequests, at most maxRequests); mode 'fixed'
 * sends exactly `requests`. Warmup requests never enter the statistics; they are reported apart.
 */
import { performance } from 'node:perf_hooks'
import type { BackendSession } from '../backends/types.js'
import type { ResolvedExperimentOptions } from '../config/defaults.js'
import { coefficientOfVariation } from '../stats/summary.js'
import type { DatasetPrompt } from '../workload/dataset.js'
import type { WarmupResult } from './types.js'

export async function runWarmup(
  session: BackendSession,
  prompts: DatasetPrompt[],
  opts: ResolvedExperimentOptions['measurement']['warmup'],
  maxTokens: number,
  onRequest?: (done: number, total: number | null) => void,
): Promise<WarmupResult> {
  const started = performance.now()
  const latencies: number[] = []
  const fixed = opts.mode === 'fixed'
  const limit = fixed ? opts.requests : Math.max(opts.minRequests, opts.maxRequests)
  let cv: number | null = null
  let converged = fixed
  const noop = { onTokens() {} }
  for (let i = 0; i < limit; i++) {
    const t0 = performance.now()
    const r = await session.generate({ prompt: prompts[i % prompts.length].text, maxTokens: prompts[i % prompts.length].maxTokens ?? maxTokens }, noop)
    // per output token, so prompts of different lengths in one dataset do not read as instability
    latencies.push((performance.now() - t0) / Math.max(1, r.outputTokens))
    onRequest?.(i + 1, fixed ? limit : null)
    if (!fixed && latencies.length >= Math.max(opts.window, opts.minRequests)) {
      cv = coefficientOfVariation(latencies.slice(-opts.window))
      if (cv !== null && cv < opts.cvThreshold) {
        converged = true
        break
      }
    }
  }
  return {
    mode: opts.mode,
    converged,
    requests: latencies.length,
    final_cv: fixed ? coefficientOfVariation(latencies.slice(-opts.window)) : cv,
    target_cv: fixed ? null : opts.cvThreshold,
    window: opts.window,
    latency_per_output_token_ms: latencies,
    duration_sec: (performance.now() - started) / 1000,
  }
}
