/**
 * `llem bench --resume` with the slurm executor: an experiment whose task from the earlier submission
 * is still pending or running must not be submitted again (two copies would run at once, both
 * writing raw/<experiment>/). The queue is asked first; such an experiment is followed to its end,
 * and only the experiments whose tasks ended without a result are submitted. Slurm is a scripted
 * runner here (its scontrol output as Slurm prints it); the real one-node Slurm e2e is elsewhere.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SessionTask } from '../core/measure/result-shell.js'
import type { Experiment } from '../core/plan/plan.js'
import type { RawProcessResult } from '../core/results/schema.js'
import { executeOnSlurm, type SlurmExecuteOptions } from '../core/slurm/slurm-executor.js'
import type { CommandResult } from '../core/slurm/slurm-commands.js'

const experiment = (id: string) => ({ id, name: id, config: { gpus: 0, parallel: { data: 1 }, timeout: 60_000 } }) as unknown as Experiment
const line = (job: string, task: number, state: string, exit = '0:0') => `JobId=${Number(job) + task + 1} ArrayJobId=${job} ArrayTaskId=${task} JobName=llem JobState=${state} Reason=None ExitCode=${exit} NodeList=node1`

/** a run directory submitted before: job 100, task 0 = experiment a (still running), 1 = b (failed) */
function priorRun(): string {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'llem-slurm-resume-'))
  mkdirSync(path.join(runDir, 'slurm'), { recursive: true })
  writeFileSync(path.join(runDir, 'slurm', 'jobs.json'), JSON.stringify({
    submitted_at: '2026-01-01T00:00:00.000Z',
    jobs: [{ job_id: '100', script: path.join(runDir, 'slurm', 'job-0.sh'), tasks: [0, 1], gpus: 0 }],
    tasks: [{ index: 0, experiment_id: 'a', process_index: 0, num_processes: 1 }, { index: 1, experiment_id: 'b', process_index: 0, num_processes: 1 }],
  }))
  return runDir
}

function slurm(states: () => Record<string, string>) {
  const calls: string[][] = []
  const runner = async (cmd: string, args: string[]): Promise<CommandResult> => {
    calls.push([cmd, ...args])
    if (cmd === 'sbatch') return { code: 0, stdout: '200\n', stderr: '' }
    if (cmd === 'scontrol') {
      const job = args[3]
      const lines = Object.entries(states()).filter(([k]) => k.startsWith(`${job}_`)).map(([k, st]) => line(job, Number(k.split('_')[1]), st))
      return lines.length ? { code: 0, stdout: lines.join('\n') + '\n', stderr: '' } : { code: 1, stdout: '', stderr: 'Invalid job id specified' }
    }
    return { code: 0, stdout: '', stderr: '' }
  }
  return { runner, calls }
}

function options(runDir: string, runner: SlurmExecuteOptions['runner'], log: string[], ended: string[], detach: boolean): SlurmExecuteOptions {
  return {
    options: { name: 'slurm', gpusPerTask: 0, pollIntervalMs: 10 },
    // bounded: a follow loop that never ends (a task it waits for that Slurm never reports) is cancelled
    runId: 'r', runDir, rootDir: runDir, maxParallel: null, interrupt: AbortSignal.timeout(3000), detach,
    llemCommand: ['node', 'llem.js'],
    task: (x, processIndex, numProcesses) => ({ experiment: { id: x.id }, processIndex, numProcesses }) as unknown as SessionTask,
    onStart: async () => {},
    onEnd: async (x, raws: RawProcessResult[]) => {
      const slurmOf = (r: RawProcessResult) => (r.environment as { slurm?: { task: string; state: string } }).slurm
      ended.push(`${x.id}:${raws.map((r) => `${slurmOf(r)?.task}=${slurmOf(r)?.state}`).join(',')}`)
      return 'completed'
    },
    log: (l) => log.push(l),
    runner,
  }
}

describe('--resume with the slurm executor', () => {
  it('asks the queue first: a still-running task is followed, only the ended one is submitted again', async () => {
    const runDir = priorRun()
    const { runner, calls } = slurm(() => ({ '100_0': 'RUNNING', '100_1': 'FAILED' }))
    const log: string[] = []
    const r = await executeOnSlurm([experiment('a'), experiment('b')], options(runDir, runner, log, [], true))
    expect(r.jobIds).toEqual(['200'])
    expect(calls.filter((c) => c[0] === 'sbatch')).toHaveLength(1)
    const script = readFileSync(path.join(runDir, 'slurm', 'job-1.sh'), 'utf8')
    // one task in the new array: b's (llem task 2), not a's
    expect(script).toContain('#SBATCH --array=0-0')
    const jobs = JSON.parse(readFileSync(path.join(runDir, 'slurm', 'jobs.json'), 'utf8'))
    expect(jobs.tasks.map((t: { index: number; experiment_id: string }) => `${t.index}:${t.experiment_id}`)).toEqual(['0:a', '1:b', '2:b'])
    expect(log).toContain('a: still in the Slurm queue from the earlier submission (task 100_0): following it, not submitting it again')
  })

  it('with --max-parallel, the new array waits for the earlier job it follows: the limit holds across both', async () => {
    const runDir = priorRun()
    const { runner } = slurm(() => ({ '100_0': 'RUNNING', '100_1': 'FAILED' }))
    await executeOnSlurm([experiment('a'), experiment('b')], { ...options(runDir, runner, [], [], true), maxParallel: 1 })
    const script = readFileSync(path.join(runDir, 'slurm', 'job-1.sh'), 'utf8')
    expect(script).toContain('#SBATCH --array=0-0%1\n')
    expect(script).toContain('#SBATCH --dependency=afterany:100\n')
  })

  it('follows the adopted task to its end beside the new array', async () => {
    const runDir = priorRun()
    let polls = 0
    const { runner } = slurm(() => {
      if (++polls < 4) return { '100_0': 'RUNNING', '100_1': 'FAILED', '200_0': 'RUNNING' }
      // each task wrote its result before it ended, as `llem worker` does
      for (const id of ['a', 'b']) {
        mkdirSync(path.join(runDir, 'raw', id), { recursive: true })
        writeFileSync(path.join(runDir, 'raw', id, 'process_0.json'), JSON.stringify({ experiment_id: id, process_index: 0, status: 'completed', measurement_warnings: [], environment: {}, timestamps: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:01:00.000Z' } }))
      }
      return { '100_0': 'COMPLETED', '100_1': 'FAILED', '200_0': 'COMPLETED' }
    })
    const ended: string[] = []
    await executeOnSlurm([experiment('a'), experiment('b')], options(runDir, runner, [], ended, false))
    expect(ended.sort()).toEqual(['a:100_0=COMPLETED', 'b:200_0=COMPLETED'])
  })
})
