/**
 * Open loop with client queueing on the simulated GPU server: at rate inf with 8 in flight every
 * request is due at the window start, so its true wait in the client is the time from there to its
 * arrival at the server. llem's client queue times, latencies and energy against that truth.
 */
import { describe, expect, it } from 'vitest'
import { checkRun, counterEdgeBoundJ, outsideTolerance, type Row } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('open loop on the simulated GPU server', () => {
  it('client queue time, TTFT and energy match the truth when requests wait for a free slot', async () => {
    const run = await runScenario(SCENARIOS['open loop, client queueing'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkRun(run)
    expect(outsideTolerance(rows)).toEqual([])
    const queue = metric(rows, 'client queue: median')
    // 64 requests, 8 at a time, each about 0.2 s on the server: the median one waits several rounds,
    // so a client queue reported as 0 (or timed from the send) would be far outside the tolerance
    expect(queue.truth).toBeGreaterThan(300)
    expect(metric(rows, 'client queue: p99 |llem - truth|').pass).toBe(true)
    // TTFT from the scheduled arrival is the queue plus the server's TTFT, per request
    for (const r of run.raw.requests.filter((x: { ok: boolean }) => x.ok)) expect(r.ttft_incl_queue_ms).toBeCloseTo(r.client_queue_ms + r.ttft_ms, 6)
    expect(Math.abs(metric(rows, 'gpu energy (window)').error!)).toBeLessThanOrEqual(counterEdgeBoundJ(run))
    expect(run.raw.measurement_warnings.join('\n')).toMatch(/waited/)
  }, 60_000)
})
