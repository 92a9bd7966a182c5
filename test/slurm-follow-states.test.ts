/**
 * Following a run's Slurm tasks when Slurm's own answers are not the happy path: a controller that does
 * not answer for a while (a restart, a failover) forgets nothing, and the tasks it could not report on
 * keep their results; a task cancelled by someone other than llem fails the run; two experiments that
 * shared a node are both flagged, whichever ended first. Slurm is a scripted runner here, answering as
 * scontrol and sacct print (their messages quoted from Slurm 23/24); the one-node real Slurm e2e is in
 * slurm-executor-e2e.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SessionTask } from '../core/measure/result-shell.js'
import type { Experiment } from '../core/plan/plan.js'
import type { RawProcessResult } from '../core/results/schema.js'
import type { CommandResult } from '../core/slurm/slurm-commands.js'
import { executeOnSlurm, type SlurmExecuteOptions } from '../core/slurm/slurm-executor.js'

const experiment = (id: string) =>
  ({ id, name: id, task_hash: `${id}000`, bench: { file: 'b.bench.ts', name: id, full_name: id, location: 'b.bench.ts:1' }, config: { gpus: 0, parallel: { data: 1 }, timeout: 60_000, model: 'm' }, config_warnings: [], cli_overrides: {}, provenance: {} }) as unknown as Experiment
const UNREACHABLE = 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)'
const NO_ACCOUNTING = 'sacct: error: Problem talking to the database: Connection refused'

interface Task { state: string; exit?: string; node?: string; start?: string }
/** scontrol as Slurm prints one line per array task (job 200, tasks 0 and 1 = experiments a and b) */
function slurm(answer: (poll: number) => Record<string, Task> | 'unreachable') {
  let polls = 0
  const runner = async (cmd: string, _args: string[]): Promise<CommandResult> => {
    if (cmd === 'sbatch') return { code: 0, stdout: '200\n', stderr: '' }
    if (cmd === 'sacct') return { code: 1, stdout: '', stderr: NO_ACCOUNTING }
    if (cmd !== 'scontrol') return { code: 0, stdout: '', stderr: '' }
    const a = answer(++polls)
    if (a === 'unreachable') return { code: 1, stdout: '', stderr: UNREACHABLE }
    const lines = Object.entries(a).map(([task, t]) => `JobId=${201 + Number(task)} ArrayJobId=200 ArrayTaskId=${task} JobName=llem JobState=${t.state} Reason=None ExitCode=${t.exit ?? '0:0'} StartTime=${t.start ?? 'Unknown'} NodeList=${t.node ?? 'node1'}`)
    return lines.length ? { code: 0, stdout: lines.join('\n') + '\n', stderr: '' } : { code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified' }
  }
  return runner
}

/** what `llem worker` writes when its experiment ends */
function writeResult(runDir: string, id: string, status: 'completed' | 'interrupted', start: string, end: string): void {
  mkdirSync(path.join(runDir, 'raw', id), { recursive: true })
  writeFileSync(path.join(runDir, 'raw', id, 'process_0.json'), JSON.stringify({ experiment_id: id, process_index: 0, status, error: status === 'completed' ? null : { code: 'INTERRUPTED', message: 'SIGTERM', phase: 'measure' }, measurement_warnings: [], environment: {}, timestamps: { start, end } }))
}

interface Ended { id: string; status: string; message: string | null; overlapped: string[] }
function options(runDir: string, runner: SlurmExecuteOptions['runner'], ended: Ended[], log: string[]): SlurmExecuteOptions {
  return {
    options: { name: 'slurm', gpusPerTask: 0, pollIntervalMs: 5 },
    runId: 'r', runDir, rootDir: runDir, maxParallel: null, interrupt: AbortSignal.timeout(5000), detach: false,
    llemCommand: ['node', 'llem.js'],
    task: (x, processIndex, numProcesses) => ({ experiment: x, processIndex, numProcesses, runId: 'r', llemVersion: '0.1.0' }) as unknown as SessionTask,
    onStart: async () => {},
    onEnd: async (x, raws: RawProcessResult[], overlapped) => {
      ended.push({ id: x.id, status: raws[0].status, message: raws[0].error?.message ?? null, overlapped: overlapped.map((o) => o.id) })
      return raws[0].status
    },
    log: (l) => log.push(l),
    runner,
  }
}

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'llem-slurm-follow-'))

describe('following Slurm tasks', () => {
  it('a controller that does not answer for a while forgets nothing: the tasks keep the results they wrote', async () => {
    const runDir = tmp()
    const runner = slurm((poll) => {
      if (poll === 1) return { 0: { state: 'RUNNING' } }
      if (poll < 6) return 'unreachable'
      writeResult(runDir, 'a', 'completed', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:40.000Z')
      return { 0: { state: 'COMPLETED' } }
    })
    const ended: Ended[] = []
    const log: string[] = []
    const r = await executeOnSlurm([experiment('a')], options(runDir, runner, ended, log))
    expect(ended).toEqual([{ id: 'a', status: 'completed', message: null, overlapped: [] }])
    expect(r.failures).toBe(0)
    expect(log).toContain(`Slurm does not answer about job 200 (${UNREACHABLE}): its tasks may still be running; still following them`)
    expect(log).toContain('Slurm answers about job 200 again')
  })

  it('a job Slurm no longer knows (an invalid id to scontrol, no accounting) is settled from what the run directory holds', async () => {
    const runDir = tmp()
    const runner = slurm((poll) => (poll === 1 ? { 0: { state: 'RUNNING' } } : ({} as Record<string, Task>)))
    const ended: Ended[] = []
    const r = await executeOnSlurm([experiment('a')], options(runDir, runner, ended, []))
    expect(ended.map((e) => [e.id, e.status])).toEqual([['a', 'failed']])
    expect(ended[0].message).toContain('Slurm no longer knows task 200_0')
    expect(r.failures).toBe(1)
  })

  it('a task cancelled outside llem fails the run, with or without the interrupted result its worker wrote', async () => {
    const runDir = tmp()
    const runner = slurm((poll) => {
      if (poll === 1) return { 0: { state: 'RUNNING' }, 1: { state: 'RUNNING' } }
      writeResult(runDir, 'b', 'interrupted', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:10.000Z')
      return { 0: { state: 'CANCELLED', exit: '0:15' }, 1: { state: 'CANCELLED', exit: '0:15' } }
    })
    const ended: Ended[] = []
    const r = await executeOnSlurm([experiment('a'), experiment('b')], options(runDir, runner, ended, []))
    const a = ended.find((e) => e.id === 'a')!
    expect(a.status).toBe('failed')
    expect(a.message).toContain('cancelled outside llem')
    expect(ended.find((e) => e.id === 'b')!.status).toBe('interrupted')
    expect(r.failures).toBe(2)
    expect(r.interrupted).toBe(false)
  })

  it("llem's own Ctrl-C is recorded in jobs.json, and a task Slurm never answered about after it is interrupted, saying why", async () => {
    const runDir = tmp()
    const controller = new AbortController()
    const runner = slurm((poll) => {
      if (poll === 1) {
        controller.abort()
        return { 0: { state: 'RUNNING' } }
      }
      return 'unreachable'
    })
    const ended: Ended[] = []
    const o = { ...options(runDir, runner, ended, []), interrupt: controller.signal }
    // the 30 s wait after cancelling, shortened: the clock is moved on once the cancel is sent
    const now = Date.now
    let shift = 0
    Date.now = () => now() + shift
    try {
      const cancelling = executeOnSlurm([experiment('a')], o)
      await new Promise((r) => setTimeout(r, 50))
      shift = 31_000
      const r = await cancelling
      expect(r.interrupted).toBe(true)
    } finally {
      Date.now = now
    }
    expect(ended.map((e) => [e.id, e.status])).toEqual([['a', 'interrupted']])
    expect(ended[0].message).toContain(`Slurm did not answer about task 200_0 (${UNREACHABLE}), and llem stopped waiting 30 s after cancelling it`)
    const jobs = JSON.parse(readFileSync(path.join(runDir, 'slurm', 'jobs.json'), 'utf8'))
    expect(jobs.cancelled_by_llem.map((c: { ids: string[] }) => c.ids)).toEqual([['200']])
  })

  it('two experiments that shared a node are both flagged, the one that ended first too', async () => {
    const runDir = tmp()
    // a ran 00:00:00-00:00:40 on node1; b started there at 00:00:20 and ends later
    const runner = slurm((poll) => {
      if (poll === 1) return { 0: { state: 'RUNNING', start: '2026-01-01T00:00:00' }, 1: { state: 'RUNNING', start: '2026-01-01T00:00:20' } }
      writeResult(runDir, 'a', 'completed', new Date(Date.parse('2026-01-01T00:00:00')).toISOString(), new Date(Date.parse('2026-01-01T00:00:40')).toISOString())
      if (poll === 2) return { 0: { state: 'COMPLETED', start: '2026-01-01T00:00:00' }, 1: { state: 'RUNNING', start: '2026-01-01T00:00:20' } }
      writeResult(runDir, 'b', 'completed', new Date(Date.parse('2026-01-01T00:00:20')).toISOString(), new Date(Date.parse('2026-01-01T00:01:00')).toISOString())
      return { 0: { state: 'COMPLETED', start: '2026-01-01T00:00:00' }, 1: { state: 'COMPLETED', start: '2026-01-01T00:00:20' } }
    })
    const ended: Ended[] = []
    await executeOnSlurm([experiment('a'), experiment('b')], options(runDir, runner, ended, []))
    expect(ended.map((e) => [e.id, e.overlapped])).toEqual([['a', ['b']], ['b', ['a']]])
  })

  it('one that started on the node after the first had ended is not flagged with it', async () => {
    const runDir = tmp()
    const runner = slurm((poll) => {
      if (poll === 1) return { 0: { state: 'RUNNING', start: '2026-01-01T00:00:00' }, 1: { state: 'PENDING' } }
      writeResult(runDir, 'a', 'completed', new Date(Date.parse('2026-01-01T00:00:00')).toISOString(), new Date(Date.parse('2026-01-01T00:00:40')).toISOString())
      if (poll === 2) return { 0: { state: 'COMPLETED', start: '2026-01-01T00:00:00' }, 1: { state: 'RUNNING', start: '2026-01-01T00:00:41' } }
      writeResult(runDir, 'b', 'completed', new Date(Date.parse('2026-01-01T00:00:41')).toISOString(), new Date(Date.parse('2026-01-01T00:01:00')).toISOString())
      return { 0: { state: 'COMPLETED' }, 1: { state: 'COMPLETED' } }
    })
    const ended: Ended[] = []
    await executeOnSlurm([experiment('a'), experiment('b')], options(runDir, runner, ended, []))
    expect(ended.map((e) => [e.id, e.overlapped])).toEqual([['a', []], ['b', []]])
  })
})
