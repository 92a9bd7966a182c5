/**
 * A client that cannot keep up is reported, never silent. Every token time is stamped on llem's event
 * loop, so a loop running late makes every stamp late. The scripted backend's streams are timers on
 * that same loop: 4,096 streams with a token every 5 ms are ~800k callbacks a second, far more than
 * one core runs on time; 64 streams every 20 ms are ~3k, nearly idle. The heavy run must carry a
 * warning naming the delay and the fix; the light one must not, however late a shared machine makes
 * its loop now and then: the client is saturated when its loop is late *and* busy.
 */
import { getEventListeners } from 'node:events'
import createConsole from '../plugins/reporters/console.js'
import { completedResult } from './fixtures/results.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'
import { describe, expect, it } from 'vitest'
import { buildMetrics } from '../core/measure/build-metrics.js'
import { runLoad, type LoadOutcome, type LoadPlan } from '../core/measure/load-runner.js'
import { gpuSnapshot, metricsInput } from './fixtures/metrics-input.js'
import { scriptedSession } from './fixtures/scripted-session.js'

const prompts = [{ id: 0, text: 'a b c', source: 'prompts[0]' }]
const plan = (p: Partial<LoadPlan>): LoadPlan => ({ concurrency: 1, rate: null, burstiness: 1, requests: 1, durationMs: null, seed: 0, maxTokens: 8, ...p })

/** the metrics of a load with no energy probe: only its latency side matters here */
const inputOf = (out: LoadOutcome) => ({
  ...metricsInput({ devices: [], energyStart: gpuSnapshot(out.windowStart, []), energyEnd: gpuSnapshot(out.windowEnd, []), rows: [], requests: out.requests, windowStart: out.windowStart, windowEnd: out.windowEnd }),
  outcome: out,
})

describe('client event-loop delay', () => {
  it('4,096 streams x 5 ms on one loop: the delay is measured and the result warns, naming it and the fix', async () => {
    const { session } = scriptedSession({ gapMs: 5 })
    const out = await runLoad(session, prompts, plan({ concurrency: 4096, requests: 4096, maxTokens: 40 }))
    expect(out.clientLoopDelay!.p99_ms).toBeGreaterThan(1)
    expect(out.clientLoopDelay!.utilisation).toBeGreaterThan(0.5)
    const m = buildMetrics(inputOf(out))
    expect(m.inference.latency_measurements.client_loop_delay_p99_ms).toBeCloseTo(out.clientLoopDelay!.p99_ms, 9)
    const w = m.warnings.find((x) => x.startsWith('client saturated'))
    expect(w).toMatch(/ran up to \d+\.\d ms late \(p99/)
    expect(w).toMatch(/fewer streams per process/)
  })

  it('64 streams x 20 ms: the loop mostly waits, and no warning, however noisy the machine', async () => {
    const { session } = scriptedSession({ gapMs: 20 })
    const out = await runLoad(session, prompts, plan({ concurrency: 64, requests: 64, maxTokens: 25 }))
    // ~3k timer callbacks a second cost a few percent of one core
    expect(out.clientLoopDelay!.utilisation).toBeLessThan(0.3)
    const m = buildMetrics(inputOf(out))
    expect(m.warnings.some((x) => x.startsWith('client saturated'))).toBe(false)
    expect(m.inference.latency_measurements.client_loop_delay_p99_ms).toBeGreaterThanOrEqual(0)
  })

  it('a loop late while idle (another process took the CPU) is recorded but not blamed on the client', () => {
    const m = buildMetrics(inputOf({ requests: [], windowStart: 0, windowEnd: 1000, clientLoopDelay: { p50_ms: 0.1, p99_ms: 8, max_ms: 12, utilisation: 0.05 } }))
    expect(m.inference.latency_measurements.client_loop_delay_p99_ms).toBe(8)
    expect(m.warnings.some((x) => x.startsWith('client saturated'))).toBe(false)
  })

  it('2,048 requests in flight on one run signal: one listener on it, and no warning of Node\'s own', async () => {
    const nodeWarnings: string[] = []
    const onWarning = (w: Error) => nodeWarnings.push(`${w.name}: ${w.message}`)
    process.on('warning', onWarning)
    const run = new AbortController()
    let most = 0
    const { session } = scriptedSession({ gapMs: 2 })
    const generate = session.generate.bind(session)
    // a backend that listens on the signal it is given, as the HTTP client does
    session.generate = async (req, sink) => {
      const onAbort = () => {}
      req.signal?.addEventListener('abort', onAbort, { once: true })
      most = Math.max(most, getEventListeners(run.signal, 'abort').length)
      try {
        return await generate(req, sink)
      } finally {
        req.signal?.removeEventListener('abort', onAbort)
      }
    }
    await runLoad(session, prompts, plan({ concurrency: 2048, requests: 2048, maxTokens: 2 }), { signal: run.signal })
    await new Promise((r) => setImmediate(r))
    process.off('warning', onWarning)
    expect(most).toBe(1)
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0)
    expect(nodeWarnings.filter((w) => /MaxListeners/.test(w))).toEqual([])
  })

  it('a load that throws still takes its listener off the run signal', async () => {
    const run = new AbortController()
    const { session } = scriptedSession({ gapMs: 1 })
    // no prompts: building the first request throws inside the load
    await expect(runLoad(session, [], plan({ concurrency: 2, requests: 2 }), { signal: run.signal })).rejects.toThrow()
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0)
  })

  it('the console says so on the experiment\'s own line, with the delay', () => {
    const warned = {
      ...completedResult,
      latency_stats: { ...completedResult.latency_stats!, client_loop_delay_p99_ms: 14.2 },
      measurement_warnings: ['client saturated: llem\'s event loop was busy 98% of the window and ran up to 14.2 ms late (p99; max 30.0 ms), …'],
    }
    const out = captureStream()
    const reporter = createConsole(makeContext({ stdout: out.stream }))
    const info = { id: 'x', name: 'decode', bench: completedResult.bench, task_hash: 'h', repeat_index: 1, mode: 'run' as const, effective_config: {} }
    reporter.onExperimentEnd?.(info, warned)
    reporter.onExperimentEnd?.({ ...info, id: 'y', name: 'light' }, completedResult)
    const lines = stripAnsi(out.text()).split('\n')
    expect(lines.find((l) => l.includes('decode'))).toMatch(/client saturated: loop p99 14\.2 ms late/)
    expect(lines.find((l) => l.includes('light'))).not.toMatch(/saturated/)
  })
})
