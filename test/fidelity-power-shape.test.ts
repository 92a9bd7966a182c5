/**
 * Power that is not flat on the simulated GPU server: a die that draws more as it warms (power ramps
 * through the window), and a power cap that binds (the clock drops, iterations stretch, the driver
 * reports sw_power_cap). Energy, J/token and throughput against the true trace; throttling reported.
 */
import { describe, expect, it } from 'vitest'
import { checkRun, counterEdgeBoundJ, outsideTolerance, type Row } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('power that ramps or is capped', () => {
  it('ramping power: window and steady-state energy follow the trace', async () => {
    const run = await runScenario(SCENARIOS['ramping power'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
    // the trace really ramps: the same work (a full batch of 8 decoding, no prefill) draws more later
    const a = run.raw.measured_window.start_unix_ms
    const b = run.raw.measured_window.end_unix_ms
    const same = run.server.segments[0].filter((s) => s.t0Ms >= a && s.t1Ms <= b && s.batch === 8 && s.prefillTokens === 0)
    const first = same[0]
    const last = same[same.length - 1]
    expect(last.w - first.w).toBeCloseTo((25 * (last.t0Ms - first.t0Ms)) / 1000, 6)
    expect(last.t0Ms - first.t0Ms).toBeGreaterThan(1000)
    expect(Math.abs(metric(rows, 'gpu energy (window)').error!)).toBeLessThanOrEqual(counterEdgeBoundJ(run))
  }, 60_000)

  it('a binding power cap: energy under the cap, throttling reported with its reason', async () => {
    const s = SCENARIOS['power-capped (throttled)']
    const run = await runScenario(s)
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
    const cap = s.gpus[0].capW!
    expect(run.server.segments[0].every((x) => x.w <= cap)).toBe(true)
    expect(run.server.segments[0].some((x) => x.w === cap)).toBe(true)
    expect(metric(rows, 'gpu average power').truth).toBeLessThanOrEqual(cap)
    const t = run.raw.thermal_throttle
    expect(t.throttled).toBe(true)
    expect(t.devices[0].reasons.map((r: { reason: string }) => r.reason)).toContain('sw_power_cap')
    expect(run.raw.measurement_warnings.join('\n')).toContain('was throttled')
  }, 60_000)
})
