/**
 * `llem/plugin/runtime`: all of `llem/plugin` but zod and the results' zod schemas. The built-in
 * plugins import llem through it, so that the experiment worker, which imports them to run them (their
 * options come parsed), never loads zod: ~50 ms of every experiment's process start on a 2-core VM.
 * Their options schemas are `lazySchema`s, built when the main process first checks options.
 * docs/plugins.md explains how each kind of plugin is written and loaded.
 */
import type { Backend } from './backends/types.js'
import type { Probe } from './probes/types.js'
import type { Reporter, ReporterContext } from './reporters/types.js'

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
  SensorAccuracy,
  SensorErrorModel,
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

// helpers, the ones llem's own plugins use: a plugin of one's own may use them too
// - whole files written through a temporary file and a rename: no reader sees half of one
export { writeFileAtomic, writeFileAtomicPieces } from './results/atomic-write.js'
// - sample summaries and intervals
export { summarise, percentile, coefficientOfVariation, bootstrapCI, type SampleSummary, type ConfidenceInterval } from './stats/summary.js'
export { percentilesInPlace } from './stats/select.js'
export { studentTMeanInterval, welchTTest, type MeanInterval, type WelchResult } from './stats/student-t.js'
// - a `dataset` option as prompts
export { loadDataset, type DatasetPrompt, type DatasetContext } from './workload/dataset.js'
export type { DatasetOptionsInput } from './workload/dataset-schema.js'
// - extremes of long lists without spreading them into call arguments (no Math.max(...xs))
export { maxOf, minOf } from './stats/extent.js'
// - a seeded generator, so that a plugin's random choices repeat run to run
export { createRng, type Rng } from './workload/random.js'
// - the package's own root, names fit for a path, text safe for a terminal
export { packageRoot } from './package-root.js'
export { slug } from './plan/task-hash.js'
export { sanitiseLine, sanitiseText } from './text/sanitise-terminal.js'
// - an options schema built on first use, so that the experiment worker, which gets options parsed,
//   never loads zod for a plugin (core/plugins/lazy-schema.ts)
export { lazySchema } from './plugins/lazy-schema.js'
// - a secret a plugin reads (a BMC password): redacted wherever llem writes text or results; text a
//   plugin cuts short for a message (an error body) is masked before the cut
export { redactedPrefix, rememberSecret } from './results/redact.js'
// - directories made one level at a time: a recursive mkdir spins for ever where /proc refuses a name
export { makeDirs } from './results/make-dirs.js'
// - results as written: the schema version, figures and units
export { SCHEMA_VERSION } from './results/schema-version.js'
export { energyUnitFor, formatSig, joulesIn, NONE, type EnergyUnit } from './results/figures.js'
// - the sweep view (J/token against latency per setting) and its text lines
export { paretoSummary, type ParetoSummary } from './results/pareto.js'
export { paretoLines, settingLabel } from './results/pareto-text.js'
// - grid carbon intensity by country (g CO2/kWh)
export { carbonIntensity, type CarbonIntensity } from './measure/emissions.js'

/** Identity at run time: gives a backend module its types (`export default defineBackend({ ... })`). */
export function defineBackend<Options>(backend: Backend<Options>): Backend<Options> {
  return backend
}

/** Identity at run time: gives a probe module its types. */
export function defineProbe<Options>(probe: Probe<Options>): Probe<Options> {
  return probe
}

/** Identity at run time: a reporter object, or a factory that gets the reporter's context. */
export function defineReporter<T extends Reporter | ((ctx: ReporterContext) => Reporter | Promise<Reporter>)>(reporter: T): T {
  return reporter
}
