/**
 * The slurm executor: the plan made here, run by the cluster's scheduler. Each process of each
 * experiment becomes one array task (`llem worker --run <dir> --task <i>`) that writes its raw result
 * into the shared run directory; this process follows the arrays through scontrol (or sacct), hands
 * each finished experiment to the same onEnd as the local executor, and records a task that ended
 * without a result with its Slurm state, exit code and log. Ctrl-C cancels the arrays.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { chmod, writeFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Experiment } from '../plan/plan.js'
import type { SessionTask } from '../measure/result-shell.js'
import type { RawProcessResult } from '../results/schema.js'
import { notRun } from '../run/execute.js'
import { LlemError } from '../errors.js'
import { jobScript, type ArraySpec, type SlurmExecutorOptions } from './job-script.js'
import { checkPartition, runCommand, sbatch, scancel, taskStates, TERMINAL, type Runner, type TaskState } from './slurm-commands.js'
import { privateSlurmDirs, readJobs, taskLog, writeJobs, writeTask, type SlurmJobsFile } from './task-files.js'
import { maxOf, minOf } from '../stats/extent.js'

export interface SlurmExecuteOptions {
  options: SlurmExecutorOptions
  runId: string
  runDir: string
  rootDir: string
  maxParallel: number | null
  interrupt: AbortSignal
  detach: boolean
  llemCommand: string[]
  task: (x: Experiment, processIndex: number, numProcesses: number) => SessionTask
  onStart: (x: Experiment) => Promise<void>
  onEnd: (x: Experiment, raws: RawProcessResult[], overlapped: Experiment[]) => Promise<'completed' | 'failed' | 'interrupted'>
  log: (line: string) => void
  runner?: Runner
}

interface Pending {
  index: number
  x: Experiment
  processIndex: number
  jobId: string
  arrayTask: number
  raw: RawProcessResult | null
}

/** One array task followed to its end: submitted now, or still queued or running from before. */
interface Followed {
  jobId: string
  arrayTask: number
  index: number
  experimentId: string
  processIndex: number
}

/**
 * The tasks of an earlier submission (--resume) that Slurm still has queued or running, by experiment:
 * each experiment's latest submission only. Submitting such an experiment again would run it twice
 * at once, both writing raw/<experiment>/: it is followed instead.
 */
async function stillQueued(run: Runner, prior: SlurmJobsFile): Promise<Map<string, Followed[]>> {
  const latest = new Map<string, Followed[]>()
  const byIndex = new Map(prior.tasks.map((t) => [t.index, t]))
  const all: Followed[] = prior.jobs.flatMap((j) => j.tasks.map((index, arrayTask) => ({ jobId: j.job_id, arrayTask, index, experimentId: byIndex.get(index)?.experiment_id ?? '', processIndex: byIndex.get(index)?.process_index ?? 0 })))
  for (const f of all.sort((a, b) => a.index - b.index)) {
    const mine = (latest.get(f.experimentId) ?? []).filter((e) => e.processIndex !== f.processIndex)
    latest.set(f.experimentId, [...mine, f])
  }
  const states = new Map<string, TaskState[] | null>()
  for (const j of new Set(all.map((f) => f.jobId))) {
    const r = await taskStates(run, j)
    // not knowing whether a task still runs, resubmitting it could run it twice at once
    if ('unreachable' in r) throw new LlemError('SLURM_FAILED', `cannot ask Slurm about job ${j} of the earlier submission (${r.unreachable}): try --resume again once the controller answers`)
    states.set(j, 'tasks' in r ? r.tasks : null)
  }
  const live = new Map<string, Followed[]>()
  for (const [id, fs] of latest) {
    const queued = fs.some((f) => {
      const s = states.get(f.jobId)?.find((t) => t.taskId === f.arrayTask)
      return s !== undefined && !TERMINAL.has(s.state)
    })
    if (queued) live.set(id, fs)
  }
  return live
}

export async function executeOnSlurm(queue: Experiment[], o: SlurmExecuteOptions): Promise<{ failures: number; interrupted: boolean; detached: boolean; jobIds: string[] }> {
  const run = o.runner ?? runCommand
  if (o.options.partition) await checkPartition(run, o.options.partition)
  const prior = readJobs(o.runDir)
  let next = prior ? Math.max(-1, maxOf(prior.tasks.map((t) => t.index))) + 1 : 0
  const tasks: SlurmJobsFile['tasks'] = []
  const arrays = new Map<number, ArraySpec>()
  // the queue first: what an earlier submission still has pending or running is followed, not resubmitted
  const live = prior ? await stillQueued(run, prior) : new Map<string, Followed[]>()
  const adopted: Followed[] = []
  for (const x of queue) {
    const queued = live.get(x.id)
    if (queued) {
      adopted.push(...queued)
      o.log(`${x.name}: still in the Slurm queue from the earlier submission (task ${queued.map((f) => `${f.jobId}_${f.arrayTask}`).join(', ')}): following it, not submitting it again`)
      continue
    }
    // a resubmitted experiment starts clean: its earlier raw files must not be read as this run's
    rmSync(path.join(o.runDir, 'raw', x.id), { recursive: true, force: true })
    const gpus = x.config.gpus ?? o.options.gpusPerTask ?? 1
    for (let p = 0; p < x.config.parallel.data; p++) {
      const index = next++
      await writeTask(o.runDir, index, o.task(x, p, x.config.parallel.data))
      tasks.push({ index, experiment_id: x.id, process_index: p, num_processes: x.config.parallel.data })
      const a = arrays.get(gpus) ?? { tasks: [], gpus, timeoutMs: 0 }
      a.tasks.push(index)
      a.timeoutMs = Math.max(a.timeoutMs, x.config.timeout)
      arrays.set(gpus, a)
    }
  }
  await privateSlurmDirs(o.runDir)
  await mkdir(path.join(o.runDir, 'slurm', 'logs'), { recursive: true })
  const jobs: SlurmJobsFile['jobs'] = []
  try {
    for (const [k, array] of [...arrays.values()].entries()) {
      const script = path.join(o.runDir, 'slurm', `job-${prior ? prior.jobs.length + k : k}.sh`)
      // the owner's only: it holds the site's setup lines, which may set a token
      // with --max-parallel, each array waits for the one before; a resumed run's first new array for
      // the earlier submission's jobs it still follows
      const earlier = [...new Set(adopted.map((f) => f.jobId))]
      const after = o.maxParallel === null ? undefined : jobs.length ? [jobs.at(-1)!.job_id] : earlier
      await writeFile(script, jobScript({ runId: o.runId, runDir: o.runDir, rootDir: o.rootDir, array, index: k, options: o.options, maxParallel: o.maxParallel, llemCommand: o.llemCommand, after }), { mode: 0o700 })
      await chmod(script, 0o700)
      const jobId = await sbatch(run, script)
      jobs.push({ job_id: jobId, script, tasks: array.tasks, gpus: array.gpus })
      o.log(`submitted Slurm job ${jobId}: ${array.tasks.length} task(s) with ${array.gpus} GPU(s) each (${path.relative(o.rootDir, script)})`)
    }
  } catch (e) {
    // all arrays or none: an array left queued after a rejected one would run half the plan
    await scancel(run, jobs.map((j) => j.job_id)).catch(() => {})
    throw e
  }
  await writeJobs(o.runDir, { submitted_at: new Date().toISOString(), jobs: [...(prior?.jobs ?? []), ...jobs], tasks: [...(prior?.tasks ?? []), ...tasks] })
  const jobIds = jobs.map((j) => j.job_id)
  if (o.detach) return { failures: 0, interrupted: false, detached: true, jobIds }
  const submitted: Followed[] = jobs.flatMap((j) => j.tasks.map((index, arrayTask) => {
    const t = tasks.find((t) => t.index === index)!
    return { jobId: j.job_id, arrayTask, index, experimentId: t.experiment_id, processIndex: t.process_index }
  }))
  const { failures, interrupted } = await follow(queue, [...adopted, ...submitted], jobIds, o, run)
  return { failures, interrupted, detached: false, jobIds }
}

async function follow(queue: Experiment[], followed: Followed[], newJobs: string[], o: SlurmExecuteOptions, run: Runner) {
  const byId = new Map(queue.map((x) => [x.id, x]))
  const pending = new Map<string, Pending>()
  for (const f of followed) pending.set(`${f.jobId}_${f.arrayTask}`, { index: f.index, x: byId.get(f.experimentId)!, processIndex: f.processIndex, jobId: f.jobId, arrayTask: f.arrayTask, raw: null })
  // new arrays are cancelled whole; of an earlier job, only the tasks followed here (its others are not this run's)
  const cancelIds = [...newJobs, ...followed.filter((f) => !newJobs.includes(f.jobId)).map((f) => `${f.jobId}_${f.arrayTask}`)]
  const jobs = [...new Set(followed.map((f) => f.jobId))].map((id) => ({ job_id: id, tasks: followed.filter((f) => f.jobId === id) }))
  const started = new Set<string>()
  const done = new Map<string, RawProcessResult[]>()
  const finished: { x: Experiment; host: string; start: number; end: number }[] = []
  let failures = 0
  let cancelledAt: number | null = null
  /** each pending task's last known state, and the jobs Slurm did not answer about at the last poll */
  const latest = new Map<string, TaskState>()
  const unreachable = new Set<string>()
  const interval = o.options.pollIntervalMs ?? 2000

  const settle = async (p: Pending, s: TaskState | null, unanswered: string | null = null) => {
    p.raw = taskResult(o.runDir, p, s, o.task(p.x, p.processIndex, p.x.config.parallel.data), cancelledAt !== null, unanswered)
    const raws = [...(done.get(p.x.id) ?? []), p.raw]
    done.set(p.x.id, raws)
    if (raws.length < p.x.config.parallel.data) return
    raws.sort((a, b) => a.process_index - b.process_index)
    const host = s?.node ?? 'unknown'
    const span = { start: minOf(raws.map((r) => Date.parse(r.timestamps.start))), end: maxOf(raws.map((r) => Date.parse(r.timestamps.end))) }
    // experiments on the same node at the same time share its CPU packages and RAM: those that ended
    // before this one, and those still running there that started before it ended (each is flagged
    // again with this one when it ends), so the first to end is flagged too
    const overlapped = finished.filter((f) => f.host === host && f.start < span.end && f.end > span.start).map((f) => f.x)
    for (const [key, q] of pending) {
      const t = latest.get(key)
      if (q.x.id !== p.x.id && t?.state === 'RUNNING' && t.node === host && (t.start === null || t.start < span.end) && !overlapped.includes(q.x)) overlapped.push(q.x)
    }
    finished.push({ x: p.x, host, ...span })
    const status = await o.onEnd(p.x, raws, overlapped)
    // a task cancelled by anyone but this llem (scancel by hand, an administrator, preemption) did not
    // complete: the run did not pass (as a local worker killed from outside fails its experiment)
    if (status === 'failed' || (status === 'interrupted' && cancelledAt === null)) failures++
  }

  while (pending.size > 0) {
    if (o.interrupt.aborted && cancelledAt === null) {
      cancelledAt = Date.now()
      o.log(`cancelling Slurm job(s) ${cancelIds.join(', ')}`)
      // said in jobs.json first: a `llem status` after a second Ctrl-C knows these were the user's doing
      const record = readJobs(o.runDir)
      if (record) await writeJobs(o.runDir, { ...record, cancelled_by_llem: [...(record.cancelled_by_llem ?? []), { ids: cancelIds, at: new Date(cancelledAt).toISOString() }] }).catch(() => {})
      await scancel(run, cancelIds).catch(() => {})
    }
    for (const j of jobs) {
      const states = await taskStates(run, j.job_id)
      if ('unreachable' in states) {
        if (!unreachable.has(j.job_id)) o.log(`Slurm does not answer about job ${j.job_id} (${states.unreachable}): its tasks may still be running; still following them`)
        unreachable.add(j.job_id)
      } else if (unreachable.delete(j.job_id)) o.log(`Slurm answers about job ${j.job_id} again`)
      for (const { arrayTask } of j.tasks) {
        const key = `${j.job_id}_${arrayTask}`
        const p = pending.get(key)
        if (!p) continue
        const s = 'tasks' in states ? (states.tasks.find((t) => t.taskId === arrayTask) ?? null) : null
        if (s) latest.set(key, s)
        if (s && s.state === 'RUNNING' && !started.has(p.x.id)) {
          started.add(p.x.id)
          await o.onStart(p.x)
        }
        // forgotten by both scontrol and sacct: what the run directory holds is all there is
        if ((s && TERMINAL.has(s.state)) || 'forgotten' in states || (cancelledAt !== null && Date.now() - cancelledAt > 30_000)) {
          pending.delete(key)
          await settle(p, s, 'unreachable' in states ? states.unreachable : null)
        }
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, interval))
  }
  return { failures, interrupted: cancelledAt !== null }
}

/**
 * The raw result of a task that Slurm says has ended: the one the task wrote, else a failed (or, when
 * cancelled, interrupted) result naming Slurm's state, exit code and log. Either way it says where it ran.
 */
/**
 * `cancelledByLlem`: llem cancelled this task (Ctrl-C): a CANCELLED state is the user's interrupt, not a
 * failure. `unanswered`: Slurm did not answer at the last poll (what it said), when that is why the task
 * is settled without a state (llem gave up waiting after Ctrl-C).
 */
export function taskResult(runDir: string, p: Omit<Pending, 'raw' | 'index'>, s: TaskState | null, task: SessionTask, cancelledByLlem = false, unanswered: string | null = null): RawProcessResult {
  // cancelled by this llem (Ctrl-C): interrupted; by anyone else, the experiment failed
  const interrupted = cancelledByLlem && (s?.state === 'CANCELLED' || s === null)
  const elsewhere = s?.state === 'CANCELLED' && !cancelledByLlem ? ' (cancelled outside llem: scancel, an administrator or preemption)' : ''
  const raw = readRaw(runDir, p) ?? notRun(task, interrupted ? 'interrupted' : 'failed', interrupted ? 'INTERRUPTED' : s?.state === 'TIMEOUT' ? 'TIMEOUT' : 'SLURM_TASK_FAILED', missingMessage(p, s, runDir, unanswered) + elsewhere, 'slurm')
  if (s && s.state !== 'COMPLETED' && raw.status === 'completed') raw.measurement_warnings.push(`the Slurm task ended ${s.state} (exit ${s.exitCode}) after writing its result`)
  if (s?.state === 'TIMEOUT' && raw.status !== 'completed') {
    raw.status = 'failed'
    raw.error = { ...(raw.error ?? { phase: 'slurm' }), code: 'TIMEOUT', message: `the Slurm task hit its time limit (--time) and was killed: ${raw.error?.message ?? ''}`.trim() }
  }
  raw.environment = { ...(raw.environment ?? {}), slurm: { job_id: p.jobId, array_task_id: p.arrayTask, task: `${p.jobId}_${p.arrayTask}`, state: s?.state ?? 'UNKNOWN', exit_code: s?.exitCode ?? null, node: s?.node ?? null, log_path: path.relative(runDir, taskLog(runDir, p.jobId, p.arrayTask)) } }
  return raw
}

function readRaw(runDir: string, p: Pick<Pending, 'x' | 'processIndex'>): RawProcessResult | null {
  const f = path.join(runDir, 'raw', p.x.id, `process_${p.processIndex}.json`)
  if (!existsSync(f)) return null
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as RawProcessResult
  } catch {
    return null
  }
}

function missingMessage(p: Pick<Pending, 'jobId' | 'arrayTask'>, s: TaskState | null, runDir: string, unanswered: string | null): string {
  const log = taskLog(runDir, p.jobId, p.arrayTask)
  const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ') : 'no log file'
  const where = s
    ? `Slurm task ${p.jobId}_${p.arrayTask} ended ${s.state} (exit code ${s.exitCode}${s.node ? ` on ${s.node}` : ''})`
    : unanswered !== null
      ? `Slurm did not answer about task ${p.jobId}_${p.arrayTask} (${unanswered}), and llem stopped waiting 30 s after cancelling it`
      : `Slurm no longer knows task ${p.jobId}_${p.arrayTask} (it ended more than MinJobAge ago and the site has no accounting)`
  return `${where} without writing a result; log ${log}: ${tail}`
}
