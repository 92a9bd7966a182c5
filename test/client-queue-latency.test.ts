/**
 * Coordinated omission in an open loop: a request whose arrival finds load.concurrency requests in
 * flight waits in the client, and timing it from the send hides that wait, so TTFT and E2E look best
 * exactly when the system is overloaded. Each open-loop request keeps its scheduled arrival; results
 * carry its client queue time and TTFT / E2E from the arrival beside the figures from the send.
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildOverrideLayers } from '../core/config/overrides.js'
import { buildMetrics } from '../core/measure/build-metrics.js'
import { runLoad, type RequestTiming } from '../core/measure/load-runner.js'
import { buildPlan } from '../core/plan/plan.js'
import { aggregate } from '../core/results/aggregate.js'
import { gpuDevice, gpuSnapshot, metricsInput } from './fixtures/metrics-input.js'
import { rawProcess } from './fixtures/raw-process.js'
import { scriptedSession } from './fixtures/scripted-session.js'

const prompts = [{ id: 0, text: 'a b c', source: 'prompts[0]' }]

describe('the load runner records when each open-loop request was due', () => {
  it('rate inf with a cap of 1: all are due at the window start; each waits for the ones before it', async () => {
    // each request streams 2 tokens 20 ms apart: it lasts at least 40 ms, however fast the machine
    const { session } = scriptedSession({ gapMs: 20 })
    const out = await runLoad(session, prompts, { concurrency: 1, rate: 'inf', burstiness: 1, requests: 3, durationMs: null, seed: 0, maxTokens: 2 })
    expect(out.requests.map((r) => r.scheduled)).toEqual([out.windowStart, out.windowStart, out.windowStart])
    expect(out.requests.map((r) => r.waitedForCap)).toEqual([false, true, true])
    // request i cannot be sent before request i-1 ended, at least 40 ms after it was sent (less 1 ms
    // per timer: Node may fire a timer up to 1 ms early on performance.now()'s finer clock)
    out.requests.forEach((r, i) => expect(r.start - r.scheduled!).toBeGreaterThanOrEqual(i * 40 - 2 * i))
    for (let i = 1; i < 3; i++) expect(out.requests[i].start).toBeGreaterThanOrEqual(out.requests[i - 1].end)
  })

  it('closed loop has no schedule', async () => {
    const { session } = scriptedSession({ gapMs: 1 })
    const out = await runLoad(session, prompts, { concurrency: 1, rate: null, burstiness: 1, requests: 2, durationMs: null, seed: 0, maxTokens: 1 })
    expect(out.requests.every((r) => r.scheduled === undefined || r.scheduled === null)).toBe(true)
  })
})

describe('client queue time and latency from the scheduled arrival', () => {
  // due at 0, sent at 300 (the cap was full), first token at 350, done at 500
  const queued: RequestTiming = { index: 0, promptId: 0, scheduled: 0, waitedForCap: true, start: 300, end: 500, chunkTimes: [350, 400, 500], chunkCounts: [1, 1, 1], inputTokens: 2, outputTokens: 3, ok: true, error: null }
  const m = buildMetrics({ ...metricsInput({ devices: [gpuDevice(0, null)], energyStart: gpuSnapshot(0, [0]), energyEnd: gpuSnapshot(500, [5]), rows: [], requests: [queued], windowStart: 0, windowEnd: 500 }) })

  it('per request: the server-side figures from the send, the client-side ones from the arrival', () => {
    expect(m.requests[0]).toMatchObject({ start_ms: 300, ttft_ms: 50, e2e_ms: 200, scheduled_ms: 0, client_queue_ms: 300, ttft_incl_queue_ms: 350, e2e_incl_queue_ms: 500 })
  })

  it('a warning says requests waited for the cap, and for how long', () => {
    expect(m.warnings.some((w) => w.includes('1 of 1 requests') && w.includes('300 ms'))).toBe(true)
  })

  it('the aggregated latency statistics give both, pooled over the successful requests', () => {
    const agg = aggregate([
      rawProcess({
        index: 0, window: [0, 10],
        requests: [
          { ttft_ms: 50, e2e_ms: 200, scheduled_ms: 0, client_queue_ms: 300, ttft_incl_queue_ms: 350, e2e_incl_queue_ms: 500 },
          { ttft_ms: 40, e2e_ms: 100, scheduled_ms: 100, client_queue_ms: 100, ttft_incl_queue_ms: 140, e2e_incl_queue_ms: 200 },
          // a failed request's queue time is not a latency sample
          { ok: false, ttft_ms: null, e2e_ms: null, scheduled_ms: 200, client_queue_ms: 900, ttft_incl_queue_ms: null, e2e_incl_queue_ms: null },
        ],
      }),
    ])
    const s = agg.latency_stats!
    expect(s.client_queue_mean_ms).toBe(200)
    expect(s.client_queue_max_ms).toBe(300)
    expect(s.ttft_incl_queue_median_ms).toBe(245)
    expect(s.e2e_incl_queue_mean_ms).toBe(350)
  })

  it('closed-loop results have none', () => {
    const s = aggregate([rawProcess({ index: 0, window: [0, 10], requests: [{ ttft_ms: 50, e2e_ms: 200 }] })]).latency_stats!
    expect(s.client_queue_mean_ms).toBeNull()
    expect(s.ttft_incl_queue_p99_ms).toBeNull()
  })
})

describe('a rate with the default cap of one request in flight', () => {
  it('is warned about, naming the client queue', () => {
    const layers = buildOverrideLayers({}, {})
    const file = path.join('/proj', 'benchmarks', 'r.bench.ts')
    const bench = (load: Record<string, unknown>) => ({ file, name: 'b', suites: [], options: { backend: 'llama-cpp', load }, mode: 'run' as const, location: `${file}:1`, kind: 'bench' as const })
    const plan = (load: Record<string, unknown>) => buildPlan({ benches: [bench(load)], rootDir: '/proj', configFile: null, config: {}, env: layers.env, cli: layers.cli, cliOverrides: {} })[0]
    expect(plan({ rate: 4 }).config_warnings.some((w) => w.includes('load.concurrency is the default 1') && w.includes('client queue'))).toBe(true)
    expect(plan({ rate: 4, concurrency: 8 }).config_warnings).toEqual([])
  })
})
