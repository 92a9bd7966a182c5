/**
 * Every message a worker process sends the main process (over IPC; tinypool forwards each to the
 * task's channel, pool.ts), as one discriminated union on `llem`. The worker's own progress, and the
 * process groups a backend starts in the worker and stops again (the transformers backend's Python
 * worker sends `spawned` and `reaped` with process.send): the pool kills any still spawned once the
 * task settles, since a worker killed with SIGKILL cannot. `measured`: nothing this process measures
 * runs any more, so the pool may start the next experiment's worker (pool.ts). Anything else on the
 * channel (a library's own IPC) is not ours, and the guard rejects it.
 */
import { PROGRESS_PHASES, type ProgressPhase } from '../measure/phases.js'

export interface ProgressMessage {
  llem: 'progress'
  experimentId: string
  phase: ProgressPhase
  done: number
  total: number | null
}

/** a process group (its leader's pid) a backend started in the worker */
export interface SpawnedMessage {
  llem: 'spawned'
  pid: number
}

/** that group stopped, by the worker's own hand: no longer the pool's to signal */
export interface ReapedMessage {
  llem: 'reaped'
  pid: number
}

/** the process's measured window has closed (or it failed before one): what is left is unmeasured */
export interface MeasuredMessage {
  llem: 'measured'
  experimentId: string
}

export type WorkerMessage = ProgressMessage | SpawnedMessage | ReapedMessage | MeasuredMessage

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (typeof m !== 'object' || m === null) return false
  const msg = m as Record<string, unknown>
  switch (msg.llem) {
    case 'progress':
      return typeof msg.experimentId === 'string' && (PROGRESS_PHASES as readonly unknown[]).includes(msg.phase) && isCount(msg.done) && (msg.total === null || isCount(msg.total))
    case 'spawned':
      // a real pid only: -1 or 1 would make the pool's kill(-pid) signal every process, or init
      return Number.isInteger(msg.pid) && (msg.pid as number) > 1
    case 'reaped':
      return typeof msg.pid === 'number'
    case 'measured':
      return typeof msg.experimentId === 'string'
    default:
      return false
  }
}
