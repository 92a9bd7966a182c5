/**
 * The Slurm executor on two simulated hosts (test/fidelity/simulated-hosts.ts): llem plans and
 * submits, each array task runs llem's job script on its own host with that host's one GPU, and
 * `llem report` aggregates. Each process's energy on its own GPU and window, and the aggregate over
 * both hosts, against the simulated server's truth; each task's node recorded as the one it ran on.
 */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { checkDataParallel } from './fidelity/checks-data-parallel.js'
import { outsideTolerance } from './fidelity/checks.js'
import { SCENARIOS } from './fidelity/matrix.js'
import { runScenario } from './fidelity/scenario.js'
import { requireTool } from './fixtures/required-tool.js'

// a host name per task needs a UTS namespace: root (as CI and these machines run) and util-linux's unshare
const canUnshare = (() => {
  try {
    return execFileSync('unshare', ['--uts', 'sh', '-c', 'hostname llem-probe && hostname'], { encoding: 'utf8' }).trim() === 'llem-probe'
  } catch {
    return false
  }
})()
const ok = requireTool('fidelity-slurm-hosts', canUnshare, 'cannot give a process its own host name (`unshare --uts` needs root)', 'run as root, as .ci/run does')

describe.skipIf(!ok)('Slurm executor on two simulated hosts', () => {
  it('meters each task on its own host and GPU and aggregates both against the truth', async () => {
    const s = SCENARIOS['Slurm, 2 simulated hosts, data parallel']
    const run = await runScenario(s)
    expect(run.cli.code, run.cli.stderr + run.cli.stdout).toBe(0)
    expect(run.cli.stderr).toMatch(/submitted Slurm job 4242: 2 task\(s\) with 1 GPU\(s\) each/)
    const procs = (run.agg.process_results as Record<string, any>[]).sort((a, b) => a.process_index - b.process_index)
    // each task on the host the "cluster" gave it, metering the one GPU that host has
    expect(procs.map((p) => [p.process_index, p.environment.scheduler.node, p.environment.scheduler.array_task_id, p.devices.map((d: { uuid: string }) => d.uuid)])).toEqual([
      [0, 'node-a', '0', ['GPU-sim-0000']],
      [1, 'node-b', '1', ['GPU-sim-1000']],
    ])
    const rows = checkDataParallel(run)
    expect(outsideTolerance(rows, [], { latencies: false })).toEqual([])
    // both GPUs did work: a process metering the other host's GPU would be off by the difference
    const [e0, e1] = [0, 1].map((k) => rows.find((r) => r.metric === `process ${k}: gpu energy (own window)`)!)
    expect(Math.abs(e0.truth - e1.truth)).toBeGreaterThan(10 * Math.max(e0.tolerance, e1.tolerance))
  }, 120_000)
})
