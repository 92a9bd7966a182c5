/**
 * The reporter contract, as in Vitest: an object with optional hooks. Built-ins and user reporters
 * (by name, by path, inline) are the same kind of object and get the same events in the same order.
 */
import type { ProgressPhase } from '../measure/phases.js'
import type { AggregatedResult } from '../results/schema.js'

export interface ExperimentInfo {
  id: string
  name: string
  bench: { file: string; name: string; full_name: string; location: string }
  task_hash: string
  repeat_index: number
  mode: 'run' | 'skip'
  effective_config: Record<string, unknown>
}

export interface ReporterContext {
  runId: string
  runDir: string
  rootDir: string
  configFile: string | null
  /** the reporter's own options (the second element of ['name', options]) */
  options: Record<string, unknown>
  /** resolved output path for file reporters, when set via outputFile */
  outputFile: string | null
  /** stream the reporter should write human output to */
  stdout: NodeJS.WritableStream
  isTTY: boolean
  verbose: boolean
}

export interface ExperimentProgress {
  phase: ProgressPhase
  done: number
  total: number | null
  elapsedMs: number
}

export interface RunSummary {
  runId: string
  runDir: string
  results: AggregatedResult[]
  skipped: ExperimentInfo[]
  durationMs: number
  status: 'passed' | 'failed' | 'interrupted'
  /** repeats of one task_hash: means with Student t 95% CIs */
  repeats: import('../results/repeat-stats.js').RepeatSummary[]
  /** the sweep view: time-energy Pareto frontiers per bench and the best setting under its SLO */
  pareto?: import('../results/pareto.js').ParetoSummary
}

export interface Reporter {
  name?: string
  onInit?(ctx: ReporterContext): void | Promise<void>
  onPlan?(experiments: ExperimentInfo[]): void | Promise<void>
  onExperimentStart?(experiment: ExperimentInfo): void | Promise<void>
  onExperimentProgress?(experiment: ExperimentInfo, progress: ExperimentProgress): void | Promise<void>
  onExperimentEnd?(experiment: ExperimentInfo, result: AggregatedResult): void | Promise<void>
  onRunEnd?(summary: RunSummary): void | Promise<void>
}

export type ReporterHook = Exclude<keyof Reporter, 'name'>
/** A reporter factory receives the same context as onInit (an async one is awaited); a plain object is used as is. */
export type ReporterFactory = (ctx: ReporterContext) => Reporter | Promise<Reporter>
