/**
 * Error classes with stable codes. The CLI maps them to exit codes:
 * InputError (bad config, bench file, dataset, results file) -> 2, everything else -> 1.
 * The message is what the user sees; it must name the file and the place in it.
 */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_SYNTAX'
  | 'CONFIG_INVALID'
  | 'BENCH_IMPORT'
  | 'BENCH_INVALID'
  /** a bench or suite marked .only where .only is not allowed (CI without --allowOnly) */
  | 'BENCH_ONLY'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_NOT_GGUF'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_INVALID'
  | 'RESULTS_INVALID'
  | 'RESULTS_LOCKED'
  | 'PLUGIN_NOT_FOUND'
  | 'FILTER_NO_MATCH'
  /** llem init: a file it would write exists (without --force), or another llem config does */
  | 'INIT_CONFLICT'
  | 'BACKEND_FAILED'
  | 'TOO_MANY_FAILED_REQUESTS'
  | 'PROBE_FAILED'
  /** turning a finished window into metrics failed: llem's own fault, never the backend's */
  | 'METRICS_FAILED'
  | 'WORKER_FAILED'
  | 'INTERRUPTED'
  | 'TIMEOUT'
  | 'NO_SLOT'
  | 'SLURM_UNAVAILABLE'
  | 'SLURM_REJECTED'
  | 'SLURM_FAILED'
  | 'SLURM_TASK_FAILED'

export class LlemError extends Error {
  readonly code: ErrorCode
  readonly exitCode: number
  /** for a backend error during the load: nothing after it can succeed (the server died) */
  readonly fatal: boolean
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number; fatal?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LlemError'
    this.code = code
    this.exitCode = options?.exitCode ?? 1
    this.fatal = options?.fatal ?? false
  }
}

/** Bad input from the user: exit code 2, one clear message, no stack trace unless --verbose. */
export class InputError extends LlemError {
  /** the file the problem is in, when there is one */
  readonly file?: string
  /** where inside the file: a dotted path, a line number, ... */
  readonly where?: string
  constructor(code: ErrorCode, message: string, options?: { file?: string; where?: string; cause?: unknown }) {
    super(code, message, { cause: options?.cause, exitCode: 2 })
    this.name = 'InputError'
    this.file = options?.file
    this.where = options?.where
  }
}

export function isLlemError(e: unknown): e is LlemError {
  return e instanceof Error && typeof (e as LlemError).code === 'string' && typeof (e as LlemError).exitCode === 'number'
}
