/**
 * The steady-state window must be steady: from first reaching the target concurrency to last leaving
 * it, the load can spend most of its time below the target (an open loop whose arrivals only now and
 * then fill the cap). The window says what share of its time the target was held, and a window held
 * for less than measurement.steadyStateMinTargetShare is no steady state: null, with a warning.
 */
import { describe, expect, it } from 'vitest'
import { experimentOptionsSchema } from '../core/config/schema.js'
import { buildMetrics } from '../core/measure/build-metrics.js'
import type { RequestTiming } from '../core/measure/load-runner.js'
import { steadyStateWindow } from '../core/measure/steady-state.js'
import { gpuDevice, gpuSnapshot, metricsInput } from './fixtures/metrics-input.js'

const req = (index: number, start: number, end: number): RequestTiming => ({
  index, promptId: 0, start, end, chunkTimes: [end], chunkCounts: [1], inputTokens: 1, outputTokens: 1, ok: true, error: null,
})

// target 2: one long request, with a second one in flight only for 50 ms at each end.
// In flight: 2 on [0, 50], 1 on [50, 950], 2 on [950, 1000]: 100 ms of 1000 at the target
const mostlyBelow = [req(0, 0, 1000), req(1, 0, 50), req(2, 950, 1000)]
// target 2, closed loop: lane A's second request starts 1 ms after its first ends; lane B runs throughout
const closedLoop = [req(0, 0, 500), req(1, 501, 1000), req(2, 0, 1000)]

function metrics(requests: RequestTiming[], minShare: number) {
  // 50 W over 1 s
  const base = metricsInput({ devices: [gpuDevice(0, null)], energyStart: gpuSnapshot(0, [0]), energyEnd: gpuSnapshot(1000, [50]), rows: [], requests, windowStart: 0, windowEnd: 1000 })
  return buildMetrics({ ...base, concurrency: 2, steadyMinTargetShare: minShare })
}

describe('time at the target concurrency', () => {
  it('the span from first reaching the target to last leaving it, and the share of it at the target', () => {
    const w = steadyStateWindow(mostlyBelow, 2)!
    expect(w.start).toBe(0)
    expect(w.end).toBe(1000)
    expect(w.atTargetShare).toBeCloseTo(0.1, 12)
  })

  it('a closed loop dips only between a request and its replacement', () => {
    expect(steadyStateWindow(closedLoop, 2)!.atTargetShare).toBeCloseTo(0.999, 12)
  })
})

describe('steady-state window and the minimum share', () => {
  it('a window at its target 10% of the time is no steady state: null, with a warning saying the share', () => {
    const m = metrics(mostlyBelow, 0.9)
    expect(m.steady).toBeNull()
    expect(m.warnings.some((w) => w.includes('10.0%') && w.includes('no steady-state window'))).toBe(true)
    // without a steady state, per-request energy falls back to the total window: 50 J over 3 tokens
    expect(m.requests[0].energy_j).toBeCloseTo(50 / 3, 9)
  })

  it('a window held at its target states the share in the result', () => {
    const m = metrics(closedLoop, 0.9)
    expect(m.steady).not.toBeNull()
    expect(m.steady!.at_target_share).toBeCloseTo(0.999, 12)
    expect(m.steady!.duration_sec).toBeCloseTo(1, 12)
  })

  it('the minimum is the configured one', () => {
    expect(metrics(mostlyBelow, 0.05).steady!.at_target_share).toBeCloseTo(0.1, 12)
  })

  it('measurement.steadyStateMinTargetShare is a share between 0 and 1', () => {
    const parse = (v: unknown) => experimentOptionsSchema.safeParse({ measurement: { steadyStateMinTargetShare: v } }).success
    expect(parse(0.75)).toBe(true)
    expect(parse(0)).toBe(true)
    expect(parse(1.5)).toBe(false)
    expect(parse(-0.1)).toBe(false)
  })
})
