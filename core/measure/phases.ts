/**
 * The phases of an experiment, named once (docs/methodology.md, "The measurement session"): a failed
 * result's `error.phase` is one of them, and progress reports the four that take long.
 */

/** The session's phases inside the worker, in order (measure/session.ts). */
export const SESSION_PHASES = ['probes', 'baseline', 'model_load', 'dataset', 'warmup', 'measure', 'results'] as const
export type SessionPhase = (typeof SESSION_PHASES)[number]

/** The phases that report progress (done of total): the worker's progress messages, reporters' onExperimentProgress. */
export const PROGRESS_PHASES = ['baseline', 'model_load', 'warmup', 'measure'] as const satisfies readonly SessionPhase[]
export type ProgressPhase = (typeof PROGRESS_PHASES)[number]

/** Where a failure can happen: a session phase, or outside the session (never placed, the worker lost, a Slurm task). */
export type FailurePhase = SessionPhase | 'plan' | 'worker' | 'slurm'
