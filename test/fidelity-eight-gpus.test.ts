/**
 * Eight GPUs behind one simulated server (each request to the least busy GPU), with counters updating
 * every 20, 50 or 100 ms, different idle power and per-token cost, and both instant-power flavours.
 * Each GPU's energy against its own true trace, within the physical bound of two counter edges at its
 * peak power; the experiment's total and J/token against the sum, covered by their stated intervals.
 */
import { describe, expect, it } from 'vitest'
import { checkRun, outsideTolerance, type Row } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'
import { trueEnergyJ } from './fidelity/truth.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('eight GPUs on the simulated server', () => {
  it('measures every GPU on its own trace, names all eight, and totals them', async () => {
    const s = SCENARIOS['8 GPUs, data parallel in the server']
    const run = await runScenario(s)
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
    expect(run.raw.devices.map((d: { uuid: string }) => d.uuid)).toEqual(s.gpus.map((_, i) => `GPU-sim-${i}000`))
    expect(run.raw.devices.map((d: { index: number }) => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    const a = run.raw.measured_window.start_unix_ms
    const b = run.raw.measured_window.end_unix_ms
    let sum = 0
    s.gpus.forEach((g, i) => {
      const truth = trueEnergyJ(run.server.segments[i], g.idleW, a, b)
      sum += truth
      const peak = run.server.segments[i].reduce((w, x) => (x.w > w ? x.w : w), g.idleW)
      expect(metric(rows, `gpu ${i} energy (window)`).truth).toBeCloseTo(truth, 9)
      expect(Math.abs(metric(rows, `gpu ${i} energy (window)`).error!)).toBeLessThanOrEqual((2 * peak * g.periodMs) / 1000)
    })
    expect(metric(rows, 'gpu energy (window)').truth).toBeCloseTo(sum, 6)
    // the sum of eight GPUs: within 0.5% of the truth, and inside its stated interval
    expect(Math.abs(metric(rows, 'gpu energy (window)').error! / sum)).toBeLessThan(0.005)
    expect(metric(rows, 'gpu energy (window)').covered).not.toBe(false)
  }, 90_000)
})
