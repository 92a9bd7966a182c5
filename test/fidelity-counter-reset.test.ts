/**
 * A driver reload in the middle of the measured window on the simulated GPU server: the energy
 * counter restarts from 0 while the GPU keeps drawing. llem keeps the energy before the reset and
 * loses at most what was drawn between its last read and the reset; the window's energy against the
 * true trace, and the warning that says what happened.
 */
import { describe, expect, it } from 'vitest'
import { checkRun, counterEdgeBoundJ, outsideTolerance, type Row } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('a counter reset mid-window', () => {
  it('the energy across the reset matches the truth, and the reset is reported', async () => {
    const run = await runScenario(SCENARIOS['counter reset mid-window'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const at = run.server.counterResetAtMs()
    expect(at).not.toBeNull()
    expect(at!).toBeGreaterThan(run.raw.measured_window.start_unix_ms)
    expect(at!).toBeLessThan(run.raw.measured_window.end_unix_ms)
    expect(run.raw.measurement_warnings.join('\n')).toMatch(/energy counter went backwards 1 time/)
    const rows = checkRun(run)
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
    // a counter taken as restarting from its old total would be off by that total (hundreds of J);
    // llem may lose one sampling interval (20 ms) at the highest power, besides the two edges
    const peak = run.server.segments[0].reduce((w, s) => (s.w > w ? s.w : w), 0)
    expect(Math.abs(metric(rows, 'gpu energy (window)').error!)).toBeLessThanOrEqual(counterEdgeBoundJ(run) + peak * 0.02)
  }, 60_000)
})
