/**
 * llem's own data parallel (parallel.data: 2) against the simulated server with a replica per GPU:
 * each process measures its own GPU over its own window (the windows open after each process's
 * warmup, so they are staggered), and the aggregate sums energies and divides tokens by the union of
 * the windows. Both read the one host's CPU meter, which the aggregate counts once over the union of
 * the windows. Every figure against the server's record and the host's power trace.
 */
import { describe, expect, it } from 'vitest'
import { outsideTolerance, type Row } from './fidelity/checks.js'
import { checkDataParallel, windowStaggerMs } from './fidelity/checks-data-parallel.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'

const metric = (rows: Row[], m: string) => rows.find((r) => r.metric === m)!

describe('data parallel on the simulated GPU server', () => {
  it('per-process energy on its own GPU and window, aggregated over staggered windows', async () => {
    const run = await runScenario(SCENARIOS['data parallel, 2 processes, staggered windows'])
    expect(run.cli.code, run.cli.stderr).toBe(0)
    const rows = checkDataParallel(run)
    // every row within its tolerance or llem's stated interval
    expect(outsideTolerance(rows)).toEqual([])
    // the aggregate states an interval (GPUs in quadrature, the host CPU's pro-rated share bounded by
    // the power range each process measured), and the truth lies inside it
    const total = metric(rows, 'aggregate: total energy')
    expect(run.agg.total_energy_uncertainty_j).toBeGreaterThan(0)
    expect(Math.abs(total.error!)).toBeLessThanOrEqual(run.agg.total_energy_uncertainty_j)
    expect(metric(rows, 'aggregate: host cpu energy (union of windows)').error).not.toBeNull()
    const procs = run.agg.process_results
    expect(procs.map((p: { devices: { uuid: string }[] }) => p.devices.map((d) => d.uuid))).toEqual([['GPU-sim-0000'], ['GPU-sim-1000']])
    // the windows really are staggered, and still overlap
    // (the 900 ms hold less the few hundred ms the other process spends opening its probes, more on
    // a busy machine)
    expect(windowStaggerMs(run)).toBeGreaterThan(250)
    expect(run.agg.aggregation).toMatchObject({ num_processes: 2, temporal_overlap_verified: true, gpu_attribution_verified: true })
    // each process saw the host's power move between its two levels (20 W and 65 W) in its 100 ms block
    // means (the simulated counter is written by a 2 ms timer in this busy test process: a late write
    // moves a block's mean further out, so only the swing is checked, not the levels' exact values)
    for (const p of procs) {
      const [lo, hi] = p.energy_metrics.cpu_power_range_w
      expect(lo).toBeLessThan(30)
      expect(hi).toBeGreaterThan(55)
      expect(metric(rows, `process ${p.process_index}: host cpu energy (own window)`).pass).toBe(true)
    }
    expect(metric(rows, 'aggregate: output tok/s (union of windows)').pass).toBe(true)
  }, 60_000)
})
