/**
 * A measured window shorter than 10 updates of a 100 ms energy counter on the simulated GPU server:
 * the counter's edges are a large share of the energy, so llem must say so (a warning, never
 * confidence high) and state an interval wide enough to hold the truth.
 */
import { describe, expect, it } from 'vitest'
import { checkRun, counterEdgeBoundJ, outsideTolerance, type Row } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('a window under 10 counter updates', () => {
  it('is flagged, never high confidence, and its stated interval covers the true energy', async () => {
    const run = await runScenario(SCENARIOS['window under 10 counter updates'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    expect(run.raw.energy_metrics.duration_sec).toBeLessThan(1.0) // fewer than 10 updates of 100 ms
    expect(run.raw.measurement_warnings.join('\n')).toMatch(/shorter than 10 energy-counter updates/)
    expect(run.raw.energy_metrics.component_methods.gpu.confidence).not.toBe('high')
    const e = metric(rows, 'gpu energy (window)')
    expect(Math.abs(e.error!)).toBeLessThanOrEqual(counterEdgeBoundJ(run))
    // the interval is stated and holds the truth (once the results carry it); every other row is
    // within its tolerance or its own interval
    if (e.uncertainty !== null) {
      expect(e.covered).toBe(true)
      expect(metric(rows, 'J/token (total)').covered).toBe(true)
    }
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
  }, 60_000)
})
