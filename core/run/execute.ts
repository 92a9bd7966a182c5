/**
 * Step 5, scheduling: experiments in their planned order onto free GPU slots (first fit), each process
 * in its own worker pinned by CUDA_VISIBLE_DEVICES (UUIDs) with CUDA_DEVICE_ORDER=PCI_BUS_ID, or for AMD
 * GPUs ROCR_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES (slots.ts, pinningEnv); data-
 * parallel experiments take one slot group per process and are aggregated as one. Experiments on
 * disjoint GPUs overlap in time: CPU and RAM energy cannot be split between them, and each result says so.
 */
import type { ErrorCode } from '../errors.js'
import type { FailurePhase } from '../measure/phases.js'
import type { Experiment } from '../plan/plan.js'
import { emptyResult, type SessionTask } from '../measure/result-shell.js'
import type { RawProcessResult } from '../results/schema.js'
import { bailNotRunMessage } from '../results/run-status.js'
import { SlotPool, type RunOptions } from './pool.js'
import type { ProgressMessage } from './worker-messages.js'
import { pinningEnv, SlotTable, type GpuSlot, type ProcessPlace } from './slots.js'

export interface ExecuteOptions {
  slots: GpuSlot[]
  maxParallel: number
  bail: number
  interrupt: AbortSignal
  task: (x: Experiment, processIndex: number, numProcesses: number, othersRunning?: boolean) => SessionTask
  onStart: (x: Experiment, gpus: GpuSlot[][]) => Promise<void>
  onProgress: (x: Experiment, m: ProgressMessage, startedAt: number) => void
  /** raws of one experiment, with the experiments that ran at the same time */
  onEnd: (x: Experiment, raws: RawProcessResult[], overlapped: Experiment[]) => Promise<'completed' | 'failed' | 'interrupted'>
  /** an experiment that never started (interrupt, no slot can ever hold it) */
  onNotRun: (x: Experiment, raw: RawProcessResult) => Promise<void>
  /** experiments made from the result of one that ended (an adaptive series' next member): queued
   *  after it, unless the run is interrupted or bailing */
  follow?: (x: Experiment) => Experiment[]
}

interface Running {
  x: Experiment
  start: number
  end: number | null
  done: Promise<void>
}

/** GPUs one process of `x` needs: its `gpus`, or 1 on a machine with GPUs and 0 on one without. */
export function gpusPerProcess(x: Experiment, slots: GpuSlot[]): number {
  return x.config.gpus ?? (slots.length > 0 ? 1 : 0)
}

export async function executeExperiments(queue: Experiment[], o: ExecuteOptions): Promise<{ failures: number; interrupted: boolean }> {
  const table = new SlotTable(o.slots)
  // one pool per GPU set (or CPU lane), kept for the whole run: it starts each experiment's process ahead
  const pools = new Map<string, SlotPool>()
  const poolFor = ({ key, gpus }: ProcessPlace) => {
    let pool = pools.get(key)
    if (!pool) {
      // an experiment given no GPU sees none: it must not measure (or use) GPUs other experiments hold
      // another experiment may come while one is queued, or while a series member runs (its next step is
      // made when it ends); a run interrupted, or one that has already bailed, starts none
      pool = new SlotPool({ id: key, env: pinningEnv(gpus, o.slots) }, () => !o.interrupt.aborted && !(o.bail > 0 && failures >= o.bail) && (pending.length > 0 || [...active].some((a) => a.x.series !== undefined)))
      pools.set(key, pool)
    }
    return pool
  }
  const history: Running[] = []
  const active = new Set<Running>()
  let failures = 0
  let interrupted = false
  const pending = [...queue]

  const launch = (x: Experiment, places: ProcessPlace[]): Running => {
    const r: Running = { x, start: Date.now(), end: null, done: Promise.resolve() }
    r.done = (async () => {
      let raws: RawProcessResult[]
      try {
        await o.onStart(x, places.map((p) => p.gpus))
        const others = [...active].some((a) => a !== r) || places.length > 1
        // the next experiments' processes start once every process of this one has stopped measuring:
        // a data-parallel sibling still in its window must not share the machine with a process start
        const measured = new Set<number>()
        const onMeasured = (i: number) => {
          measured.add(i)
          if (measured.size === places.length) for (const p of places) poolFor(p).prepareNext()
        }
        // a process that ended (or failed) without saying `measured` counts as measured when it ends;
        // with siblings, its pool waits for them all before starting its next process
        const deferNext = places.length > 1
        raws = await Promise.all(
          places.map((p, i) =>
            runProcess(poolFor(p), o.task(x, i, places.length, others), x.config.timeout, o.interrupt, { onProgress: (m) => o.onProgress(x, m, r.start), onMeasured: () => onMeasured(i), deferNext }).finally(() => onMeasured(i)),
          ),
        )
      } catch (e) {
        // llem's own failure around the worker (a cool-down, a reporter hook): the experiment fails, the run goes on
        raws = [notRun(o.task(x, 0, places.length), 'failed', 'WORKER_FAILED', `could not run: ${e instanceof Error ? e.message : String(e)}`, 'worker')]
      } finally {
        r.end = Date.now()
        table.release(places)
      }
      // every experiment whose time span touched this one's, finished or still running
      const overlapped = history.filter((h) => h !== r && h.start < r.end! && (h.end === null || h.end > r.start)).map((h) => h.x)
      const status = await o.onEnd(x, raws, overlapped).catch((e) => {
        process.stderr.write(`llem: storing the result of ${x.name} failed: ${e instanceof Error ? e.message : String(e)}\n`)
        return 'failed' as const
      })
      if (status === 'interrupted') interrupted = true
      else if (status === 'failed') failures++
      if (!o.interrupt.aborted && !(o.bail > 0 && failures >= o.bail)) pending.push(...(o.follow?.(x) ?? []))
    })()
    history.push(r)
    return r
  }

  try {
    while (pending.length > 0 || active.size > 0) {
      const stop = o.interrupt.aborted || (o.bail > 0 && failures >= o.bail)
      for (let i = 0; !stop && i < pending.length && active.size < o.maxParallel; ) {
        const x = pending[i]
        const per = gpusPerProcess(x, o.slots)
        const processes = x.config.parallel.data
        if (per * processes > o.slots.length && per > 0) {
          pending.splice(i, 1)
          failures++
          await o.onNotRun(x, notRun(o.task(x, 0, processes), 'failed', 'NO_SLOT', `needs ${processes} x ${per} GPUs, but llem may use ${o.slots.length}`))
          continue
        }
        const gpus = table.place(processes, per)
        if (!gpus) {
          i++
          continue
        }
        pending.splice(i, 1)
        const r = launch(x, gpus)
        active.add(r)
        void r.done.catch(() => {}).finally(() => active.delete(r))
      }
      if (stop && active.size === 0) break
      if (active.size === 0 && pending.length > 0) continue
      if (active.size > 0) await Promise.race([...active].map((r) => r.done.catch(() => {})))
    }
  } finally {
    await Promise.all([...pools.values()].map((p) => p.destroy().catch(() => {})))
  }
  if (o.interrupt.aborted) {
    interrupted = true
    for (const x of pending) await o.onNotRun(x, notRun(o.task(x, 0, x.config.parallel.data), 'interrupted', 'INTERRUPTED', 'the run was interrupted before this experiment started'))
  } else if (o.bail > 0 && failures >= o.bail) {
    // what --bail left unrun is recorded, not dropped: the run's records (and a CI gate reading them)
    // must tell an experiment that never ran from one that was never planned
    const why = bailNotRunMessage(failures)
    for (const x of pending) await o.onNotRun(x, notRun(o.task(x, 0, x.config.parallel.data), 'interrupted', 'INTERRUPTED', why))
  }
  return { failures, interrupted }
}

async function runProcess(pool: SlotPool, task: SessionTask, timeoutMs: number, interrupt: AbortSignal, on: Omit<RunOptions, 'signal'>): Promise<RawProcessResult> {
  const controller = new AbortController()
  let reason: 'timeout' | 'interrupt' | null = null
  const timer = setTimeout(() => {
    reason = 'timeout'
    controller.abort()
  }, timeoutMs)
  const onInterrupt = () => {
    reason ??= 'interrupt'
    controller.abort()
  }
  if (interrupt.aborted) onInterrupt()
  interrupt.addEventListener('abort', onInterrupt, { once: true })
  // a worker killed or lost leaves no result of its own: its record spans from when it was handed the
  // experiment to when it was gone (not a zero-length moment at the kill)
  const startedAt = new Date()
  try {
    return await pool.run(task, { ...on, signal: controller.signal })
  } catch (e) {
    if (reason === 'timeout') return notRun(task, 'failed', 'TIMEOUT', `experiment exceeded its timeout of ${timeoutMs} ms; the worker was killed`, 'worker', startedAt)
    if (reason === 'interrupt') return notRun(task, 'interrupted', 'INTERRUPTED', 'interrupted (SIGINT/SIGTERM); the worker was killed', 'worker', startedAt)
    const message = e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e)
    return notRun(task, 'failed', 'WORKER_FAILED', `worker process failed: ${message}`, 'worker', startedAt)
  } finally {
    clearTimeout(timer)
    interrupt.removeEventListener('abort', onInterrupt)
  }
}

export function notRun(task: SessionTask, status: 'failed' | 'interrupted', code: ErrorCode, message: string, phase: FailurePhase = 'plan', startedAt?: Date): RawProcessResult {
  const end = new Date()
  const raw = emptyResult(task, startedAt ?? end)
  if (startedAt) raw.timestamps = { start: startedAt.toISOString(), end: end.toISOString(), duration_sec: (end.getTime() - startedAt.getTime()) / 1000 }
  raw.status = status
  raw.error = { code, message, phase }
  return raw
}
