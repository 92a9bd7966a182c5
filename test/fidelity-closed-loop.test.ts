/**
 * Closed loop against the simulated GPU server, at batch 1 and at 64 in flight: every energy, token,
 * throughput and latency figure llem reports against the server's own record (test/fidelity/), and at
 * 64 in flight an idle baseline whose true idle power is the scenario's (70 W).
 */
import { describe, expect, it } from 'vitest'
import { checkRun, counterEdgeBoundJ, outsideTolerance, type Row } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('closed loop on the simulated GPU server', () => {
  it('batch 1: energy, J/token, tokens, throughput and latencies match the truth', async () => {
    const run = await runScenario(SCENARIOS['batch 1, closed loop'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    expect(outsideTolerance(rows)).toEqual([])
    // one request at a time: every token the server sent, counted; energy within what two counter edges allow
    expect(metric(rows, 'output tokens').error).toBe(0)
    expect(Math.abs(metric(rows, 'gpu energy (window)').error!)).toBeLessThanOrEqual(counterEdgeBoundJ(run))
    expect(metric(rows, 'gpu energy (window)').covered).not.toBe(false)
    expect(run.raw.steady_state_window.target_concurrency).toBe(1)
  }, 60_000)

  it('64 in flight with an idle baseline: the baseline finds the true idle power and the adjusted energy follows', { timeout: 60_000, retry: 1 }, async () => {
    const run = await runScenario(SCENARIOS['concurrency 64, closed loop, idle baseline'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    // E2E at 64 streams ending together runs late (a finding, docs/fidelity.md): held to a looser bound below.
    // So is TTFT from the server's view (from the request's arrival there): it differs from llem's by the
    // request's way out, 64 simultaneous sends through a loaded host into the simulated server's own
    // event loop (a clean-clone CI on the 2-core VM measured 115 ms against a true 86 ms, 2026-12-06).
    // llem's TTFT is checked strictly against the engine's send times, from its own send stamp.
    // The request's way in, send stamp -> server arrival, is that same time on its own (31 and 38 ms with
    // a CI run beside this test on the same 2 cores).
    const wayIn = ['TTFT vs server view: median', 'request send -> server arrival: median']
    expect(outsideTolerance(rows, ['E2E vs engine send: median', 'E2E vs engine send: p99 |llem - truth|', ...wayIn])).toEqual([])
    expect(Math.abs(metric(rows, 'E2E vs engine send: median').error!)).toBeLessThan(60)
    for (const m of wayIn) expect(Math.abs(metric(rows, m).error!), m).toBeLessThan(60)
    expect(run.raw.energy_breakdown.baseline_method).toBe('fresh')
    expect(Math.abs(metric(rows, 'baseline power').relError!)).toBeLessThan(0.01)
    const adjusted = metric(rows, 'baseline-adjusted energy')
    expect(Math.abs(adjusted.error!)).toBeLessThanOrEqual(counterEdgeBoundJ(run) + 0.01 * 70 * run.raw.energy_metrics.duration_sec)
    // the batch really was 64 wide on the server: the physics of this scenario depends on it
    expect(run.server.requests.every((r) => r.tokenMs.length === 24)).toBe(true)
    expect(run.raw.steady_state_window.target_concurrency).toBe(64)
    // TTFT and TPOT against the engine's send times, at 64 streams
    expect(metric(rows, 'TTFT vs engine send: p99 |llem - truth|').pass).toBe(true)
    expect(metric(rows, 'TPOT vs engine send: median').pass).toBe(true)
    // one retry: 64 streams and the simulated server share the CI machine's 2 cores with whatever else
    // runs there; a wrong figure is wrong on every run
  })
})
