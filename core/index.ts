/**
 * The public API: what `import { ... } from 'llem'` gives a bench file, a config file or a plugin.
 * Kept light on purpose: bench files are imported through jiti, and everything this module imports
 * is loaded for every bench file.
 */
export { describe, bench, defineBench } from './api/collector.js'
export type { BenchDefinition, DescribeFn, BenchFn } from './api/collector.js'
export type { LlemConfig, ExperimentOptions, ModelSpec, BackendSpec, ReporterSpec } from './config/schema.js'
export type { Reporter, ReporterContext, ExperimentInfo, ExperimentProgress, RunSummary } from './reporters/types.js'
export type { Backend, BackendSession, BackendContext, GenerateRequest, TokenSink } from './backends/types.js'
export type { Probe, ProbeSession, ProbeAvailability, EnergyDomainReading } from './probes/types.js'
export type { RawProcessResult, AggregatedResult, RequestRecord, LatencyStatistics } from './results/schema.js'
export type { RepeatSummary, RepeatMetric } from './results/repeat-stats.js'

import type { LlemConfig } from './config/schema.js'

/** Identity at run time; gives a config file types and completion. */
export function defineConfig<T extends LlemConfig>(config: T | (() => T | Promise<T>)): T | (() => T | Promise<T>) {
  return config
}
