/**
 * `llem/plugin`: everything a backend, probe or reporter of one's own needs, and nothing else. A
 * curated list of re-exports: the contracts, the errors with their exit codes, the result types,
 * and the helpers llem's own plugins use (atomic writes, sample summaries, dataset loading), plus
 * the zod that options schemas are written with, so a plugin and llem validate with the same copy.
 * docs/plugins.md explains how each kind is written and loaded.
 */
import type { Backend } from './backends/types.js'
import type { Probe } from './probes/types.js'
import type { Reporter, ReporterContext } from './reporters/types.js'

export { z } from 'zod'

// the three contracts
export type {
  Backend,
  BackendContext,
  BackendSession,
  GenerateRequest,
  GenerateResult,
  TokenSink,
  ModelInfo,
  WindowObserver,
  WindowObservations,
  ThreadLoopDelay,
} from './backends/types.js'
export type {
  Probe,
  ProbeSession,
  ProbeAvailability,
  ProbeDevice,
  ProbeIdleWindow,
  DeviceColumns,
  EnergyDomainReading,
  EnergyDomainKind,
  EnergyMethod,
  Confidence,
  Accelerator,
  ThrottleReason,
} from './probes/types.js'
// a probe's hardware-interface failure: a result records it as PROBE_FAILED
export { ProbeError, isProbeError } from './probes/probe-error.js'
export type { Reporter, ReporterContext, ReporterFactory, ReporterHook, ExperimentInfo, ExperimentProgress, RunSummary } from './reporters/types.js'
export type { ResolvedModel, ResolvedExperimentOptions } from './config/defaults.js'

// errors: an InputError is bad input (exit code 2, one clear message); any LlemError carries a stable code
export { LlemError, InputError, isLlemError, type ErrorCode } from './errors.js'

// results as reporters receive them and as the results directory stores them
export type { RawProcessResult, AggregatedResult, RequestRecord, LatencyStatistics } from './results/schema.js'
export type { RepeatSummary, RepeatMetric } from './results/repeat-stats.js'

// helpers
export { writeFileAtomic } from './results/atomic-write.js'
export { summarise, percentile, coefficientOfVariation, bootstrapCI, type SampleSummary, type ConfidenceInterval } from './stats/summary.js'
export { studentTMeanInterval, welchTTest, type MeanInterval, type WelchResult } from './stats/student-t.js'
export { loadDataset, type DatasetPrompt, type DatasetContext } from './workload/dataset.js'
export type { DatasetOptionsInput } from './workload/dataset-schema.js'

/** Identity at run time: gives a backend module its types (`export default defineBackend({ ... })`). */
export function defineBackend<Options>(backend: Backend<Options>): Backend<Options> {
  return backend
}

/** Identity at run time: gives a probe module its types. */
export function defineProbe<Options>(probe: Probe<Options>): Probe<Options> {
  return probe
}

/** Identity at run time: a reporter object, or a factory that gets the reporter's context. */
export function defineReporter<T extends Reporter | ((ctx: ReporterContext) => Reporter)>(reporter: T): T {
  return reporter
}
