/**
 * Two GPUs behind one simulated server (data parallel inside it: each request goes to the less busy
 * GPU), with different idle power, power per token, counter periods (20 and 100 ms) and instant-power
 * flavours (H100 part-time averaging, a 1 s average). Each GPU's energy against its own true trace,
 * the experiment's total and J/token against the sum.
 */
import { describe, expect, it } from 'vitest'
import { checkRun, outsideTolerance, type Row } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'
import { trueEnergyJ } from './fidelity/truth.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('two GPUs on the simulated server', () => {
  it('measures each GPU on its own trace and totals them', async () => {
    const s = SCENARIOS['2 GPUs, data parallel in the server']
    const run = await runScenario(s)
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    // per-GPU energy is held to a physical bound below (two counter edges at peak power), not to its
    // stated 95% interval, which a single run may miss one time in twenty by design
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
    expect(run.raw.devices.map((d: { uuid: string }) => d.uuid)).toEqual(['GPU-sim-0000', 'GPU-sim-1000'])
    // both GPUs worked: the server spread the requests
    const perGpu = [0, 1].map((g) => run.server.requests.filter((r) => r.gpu === g).length)
    expect(Math.min(perGpu[0], perGpu[1])).toBeGreaterThan(run.scenario.requests / 4)
    const a = run.raw.measured_window.start_unix_ms
    const b = run.raw.measured_window.end_unix_ms
    s.gpus.forEach((g, i) => {
      const truth = trueEnergyJ(run.server.segments[i], g.idleW, a, b)
      const peak = run.server.segments[i].reduce((w, x) => (x.w > w ? x.w : w), g.idleW)
      // two counter edges of this GPU, each at most one of its updates of its highest power
      expect(Math.abs(metric(rows, `gpu ${i} energy (window)`).error!)).toBeLessThanOrEqual((2 * peak * g.periodMs) / 1000)
      expect(metric(rows, `gpu ${i} energy (window)`).truth).toBeCloseTo(truth, 9)
    })
    // the total is the two GPUs' sum, covered by its stated interval where llem states one
    expect(metric(rows, 'gpu energy (window)').llem).toBeCloseTo(metric(rows, 'gpu 0 energy (window)').llem! + metric(rows, 'gpu 1 energy (window)').llem!, 6)
    expect(metric(rows, 'gpu energy (window)').covered).not.toBe(false)
    expect(metric(rows, 'J/token (total)').covered).not.toBe(false)
  }, 60_000)
})
