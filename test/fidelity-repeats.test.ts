/**
 * Repeats of one configuration on the simulated GPU server, whose power ramps as the die warms: each
 * repeat's energy and J/token against its own window's truth, and the repeats summary in results.json
 * (mean and 95% interval) against the same summary of the true per-repeat values.
 */
import { describe, expect, it } from 'vitest'
import { checkRepeats } from './fidelity/checks-repeats.js'
import { outsideTolerance } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'

describe('repeats on the simulated GPU server', () => {
  it('states a mean and interval over repeats that match the truth of each repeat', async () => {
    const run = await runScenario(SCENARIOS['repeats: 3 runs while power ramps'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    expect(run.all.map((r) => r.status)).toEqual(['completed', 'completed', 'completed'])
    const rows = checkRepeats(run)
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
    const row = (m: string) => rows.find((r) => r.metric === m)!
    const mean = row('repeats (3): J/token (total) mean')
    const lower = row('repeats (3): J/token (total) 95% CI lower')
    const upper = row('repeats (3): J/token (total) 95% CI upper')
    // the ramp makes the repeats differ: the true interval is wider than the per-value tolerance, so a
    // summary that dropped the spread (or took one repeat's value) would fall outside it
    expect(upper.truth - lower.truth).toBeGreaterThan(4 * upper.tolerance)
    expect(lower.llem! < mean.llem! && mean.llem! < upper.llem!).toBe(true)
    // TTFT's median per repeat is a latency row: held here to its scheduling tolerance only
    const ttft = row('repeats (3): TTFT vs engine send: median mean')
    expect(Math.abs(ttft.error!)).toBeLessThanOrEqual(ttft.tolerance)
  }, 120_000)
})
