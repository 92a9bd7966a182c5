/**
 * The worker pool seam: one SlotPool per slot group (a set of GPUs, or a CPU lane), a fresh process
 * per experiment so model memory and native state never leak between experiments. Each process is a
 * one-worker tinypool `child_process` pool used for one task, then destroyed (the process exits).
 *
 * The next experiment's process is started ahead, so that it does not start (node, then llem's
 * modules: ~100 ms idle, several hundred on a busy machine) between two experiments: when the pool is
 * made, and again as soon as the running experiment has nothing left to measure (`prepareNext`, on the
 * worker's `measured` message; execute.ts). It never starts while this slot's experiment measures: a
 * process starting up beside the idle baseline, the model load or the window would add to what they
 * measure. The environment is spread explicitly: with child_process, `env` replaces it whole.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Tinypool from 'tinypool'
import type { SessionTask } from '../measure/result-shell.js'
import type { RawProcessResult } from '../results/schema.js'
import { isWorkerMessage, type ProgressMessage } from './worker-messages.js'
import { packageRoot } from '../package-root.js'
import { groupRuns } from './process-groups.js'

function workerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const built = path.join(here, 'worker.js')
  // under vitest this module runs from source: the worker must still be the compiled file
  return existsSync(built) ? built : path.join(packageRoot(), 'dist', 'core', 'run', 'worker.js')
}

/** how long a SIGKILLed group may take to be gone (every member dead: reaped, or a zombie) before the slot is handed on regardless */
const GROUP_EXIT_WAIT_MS = 10_000

/** Resolves once none of the process groups has a running process left (or after `waitMs`). */
async function groupsGone(pgids: number[], waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs
  while (pgids.some(groupRuns) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}

export interface Slot {
  id: string
  env: Record<string, string>
}

export interface RunOptions {
  signal: AbortSignal
  onProgress: (m: ProgressMessage) => void
  /** the worker has nothing left to measure (its `measured` message) */
  onMeasured?: () => void
  /** the caller starts the next process (prepareNext) itself: a data-parallel process that ends early
   *  must not start one while its siblings still measure */
  deferNext?: boolean
}

export class SlotPool {
  private readonly env: Record<string, string>
  /** the process the next experiment runs in, started and idle; null while none is */
  private next: Tinypool | null = null
  /** each started process's pool, with the failure it reports outside a task (see spawn) */
  private readonly live = new Map<Tinypool, { failed: boolean; failure: Promise<never> }>()
  private closed = false

  /** `more`: whether another experiment may still come to this slot. Without one, no process is started
   *  ahead: the run's last experiment would otherwise start a process at its end only to kill it, a
   *  process start on a machine still busy with that experiment's tail */
  constructor(
    readonly slot: Slot,
    private readonly more: () => boolean = () => true,
  ) {
    this.env = { ...(process.env as Record<string, string>), ...slot.env }
    this.prepareNext()
  }

  /** Start the next experiment's process now, unless one is started already or none may come. */
  prepareNext(): void {
    if (this.closed || this.next || !this.more()) return
    this.next = this.spawn()
  }

  private spawn(): Tinypool {
    // minThreads 1: the process starts now, not when the task arrives. One task per pool, then
    // destroy(): isolateWorkers would start yet another process once the task ends, to no use here
    const pool = new Tinypool({ filename: workerFile(), runtime: 'child_process', minThreads: 1, maxThreads: 1, isolateWorkers: false, env: this.env })
    // a process that dies while it has no task (worker.js failed to load, or it was killed while it
    // waited) is reported as the pool's 'error', not to a task. Unheard, it would throw in the main
    // process; a task queued behind it would wait forever: the task fails with it instead (run)
    let fail: (e: unknown) => void = () => {}
    const state = { failed: false, failure: new Promise<never>((_, reject) => (fail = reject)) }
    state.failure.catch(() => {})
    pool.on('error', (e: unknown) => {
      state.failed = true
      fail(e)
    })
    this.live.set(pool, state)
    return pool
  }

  /**
   * Runs one experiment. Process groups the worker started (the transformers backend's Python worker,
   * a managed server) and did not report stopped are killed once the task settles, and waited for: a
   * worker killed with SIGKILL (a timeout) cannot clean up after itself, and a server's supervisor
   * stops it gracefully, seconds after the slot would otherwise have gone to the next experiment.
   */
  async run(task: SessionTask, opts: RunOptions): Promise<RawProcessResult> {
    let pool = this.next ?? this.spawn()
    this.next = null
    // the process started ahead died while it waited (killed, out of memory): a new one, not a failure
    if (this.live.get(pool)?.failed) {
      void this.retire(pool)
      pool = this.spawn()
    }
    const spawned = new Set<number>()
    try {
      const result = pool.run(task, {
        signal: opts.signal,
        channel: {
          postMessage: (m: unknown) => {
            if (!isWorkerMessage(m)) return
            if (m.llem === 'progress') opts.onProgress(m)
            else if (m.llem === 'measured') opts.onMeasured?.()
            else if (m.llem === 'spawned') spawned.add(m.pid)
            // the worker stopped it itself: its group id is no longer ours to signal
            else spawned.delete(m.pid)
          },
        },
      })
      return (await Promise.race([result, this.live.get(pool)!.failure])) as RawProcessResult
    } finally {
      for (const pid of spawned) {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {
          /* already gone: the worker stopped it */
        }
      }
      // the experiment's process has exited, and every process group it started has gone, before the
      // next experiment is given the slot: a server still on the GPU would draw power in its window
      await Promise.all([this.retire(pool), groupsGone([...spawned], GROUP_EXIT_WAIT_MS)])
      // one started process per slot, also after an experiment that never said `measured`
      if (!opts.deferNext) this.prepareNext()
    }
  }

  private async retire(pool: Tinypool): Promise<void> {
    this.live.delete(pool)
    await pool.destroy().catch(() => {})
  }

  async destroy(): Promise<void> {
    this.closed = true
    this.next = null
    await Promise.all([...this.live.keys()].map((p) => this.retire(p)))
  }
}
