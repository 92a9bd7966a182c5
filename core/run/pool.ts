/**
 * The worker pool seam: one tinypool `child_process` pool per slot group (a set of GPUs, or the CPU),
 * a fresh process per experiment (isolateWorkers) so model memory and native state never leak between
 * experiments. The environment is spread explicitly: with child_process, `env` replaces it whole.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Tinypool from 'tinypool'
import type { SessionTask } from '../measure/result-shell.js'
import type { RawProcessResult } from '../results/schema.js'
import { isWorkerMessage, type ProgressMessage } from './worker-messages.js'
import { packageRoot } from '../package-root.js'

function workerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const built = path.join(here, 'worker.js')
  // under vitest this module runs from source: the worker must still be the compiled file
  return existsSync(built) ? built : path.join(packageRoot(), 'dist', 'core', 'run', 'worker.js')
}

export interface Slot {
  id: string
  env: Record<string, string>
}

export class SlotPool {
  private readonly pool: Tinypool

  constructor(readonly slot: Slot) {
    this.pool = new Tinypool({
      filename: workerFile(),
      runtime: 'child_process',
      // one warm worker: with isolateWorkers a fresh process replaces each finished one right away,
      // so the next experiment on this slot does not wait for a process start and module load
      minThreads: 1,
      maxThreads: 1,
      isolateWorkers: true,
      env: { ...(process.env as Record<string, string>), ...slot.env },
    })
  }

  /**
   * Runs one experiment. Process groups the worker started (the transformers backend's Python worker)
   * and did not report stopped are killed once the task settles: a worker killed with SIGKILL cannot
   * clean up after itself. (A managed server has its own supervisor, plugins/backends/server/.)
   */
  async run(task: SessionTask, opts: { signal: AbortSignal; onProgress: (m: ProgressMessage) => void }): Promise<RawProcessResult> {
    const spawned = new Set<number>()
    try {
      return (await this.pool.run(task, {
        signal: opts.signal,
        channel: {
          postMessage: (m: unknown) => {
            if (!isWorkerMessage(m)) return
            if (m.llem === 'progress') opts.onProgress(m)
            else if (m.llem === 'spawned') spawned.add(m.pid)
            // the worker stopped it itself: its group id is no longer ours to signal
            else spawned.delete(m.pid)
          },
        },
      })) as RawProcessResult
    } finally {
      for (const pid of spawned) {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {
          /* already gone: the worker stopped it */
        }
      }
    }
  }

  async destroy(): Promise<void> {
    await this.pool.destroy()
  }
}
