/**
 * The executor contract: where a run's experiments execute. `local` is the worker pool on this machine
 * (run/local-executor.ts over execute.ts); `slurm` submits them as job arrays (slurm/slurm-run.ts over
 * slurm-executor.ts). runBench hands either the same plan and the same hooks; which one runs is
 * decided here and nowhere else. A new executor is one more entry in `chooseExecutor`, a variant of
 * `executor` in config/schema.ts, and its folder in core.
 */
import type { ResolvedRunOptions } from '../config/defaults.js'
import type { SessionTask } from '../measure/result-shell.js'
import type { Experiment } from '../plan/plan.js'
import type { RawProcessResult } from '../results/schema.js'
import type { GpuProbe } from './gpu-probes.js'
import type { GpuSlot } from './slots.js'
import type { ProgressMessage } from './worker-messages.js'

export type ExecutorName = ResolvedRunOptions['executor']['name']

/** What to run and with what: the same for every executor. */
export interface ExecutionPlan {
  /** the experiments to run, in the configured order */
  queue: Experiment[]
  runId: string
  runDir: string
  rootDir: string
  runOptions: ResolvedRunOptions
  /** this machine's GPU slots (manifest.environment.gpu_slots) */
  slots: GpuSlot[]
  /** the GPU probes the cool-down reads temperatures from (none without temperatureMarginC) */
  gpuSensors: GpuProbe[]
  interrupt: AbortSignal
  /** submit and return without following (slurm only: --detach) */
  detach: boolean
  task: (x: Experiment, processIndex: number, numProcesses: number, othersRunning?: boolean) => SessionTask
}

/** What the run does as experiments start and end: reporters, the store, series (run-bench.ts). */
export interface ExecutionHooks {
  onStart(x: Experiment): Promise<void>
  onProgress(x: Experiment, m: ProgressMessage, startedAt: number): void
  /** raws of one experiment, with the experiments that ran at the same time */
  onEnd(x: Experiment, raws: RawProcessResult[], overlapped: Experiment[]): Promise<'completed' | 'failed' | 'interrupted'>
  /** an experiment that never started (interrupt, no slot can ever hold it) */
  onNotRun(x: Experiment, raw: RawProcessResult): Promise<void>
  /** experiments made from the result of one that ended (an adaptive series' next member) */
  follow(x: Experiment): Experiment[]
  /** a line for the user (stderr) */
  log(line: string): void
}

export interface ExecutionOutcome {
  failures: number
  interrupted: boolean
  /** submitted and not followed (--detach): the scheduler's job ids */
  detached?: { jobIds: string[] }
}

export interface Executor {
  readonly name: ExecutorName
  /** refuses, before anything is written, a plan this executor cannot run (bad input) */
  check?(experiments: Experiment[]): void
  run(plan: ExecutionPlan, hooks: ExecutionHooks): Promise<ExecutionOutcome>
}

/** The one place an executor is chosen; each loads lazily (Slurm's modules only when asked for). */
export async function chooseExecutor(name: ExecutorName): Promise<Executor> {
  if (name === 'slurm') return (await import('../slurm/slurm-run.js')).slurmExecutor
  return (await import('./local-executor.js')).localExecutor
}
