/**
 * "Config as resolved": every experiment option with its default. A default of null means "not set"
 * and is meaningful (rate null = closed loop). Values follow LLenergyMeasure's method where it has
 * one (warmup CV 0.05 over 5 requests, 5-50 requests; baseline 30 s, TTL 3600 s; sampling 100 ms).
 */
import type { z } from 'zod'
import type { experimentOptionsSchema, RunOption, SlurmExecutorOptions } from './schema.js'
import type { datasetOptionsSchema } from '../workload/dataset-schema.js'

export interface ResolvedBackend { name: string; [option: string]: unknown }
export type ResolvedModel = string | { path: string } | { random: string | Record<string, unknown> }
export type ResolvedProbes = Record<string, false | Record<string, unknown>>

/** the options as the schema parses them (every key optional) */
type Written = z.output<typeof experimentOptionsSchema>
/** every key of T present, with its default filled in (null stays: it means "not set") */
type Filled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> }
type Section<K extends keyof Written> = NonNullable<Written[K]>
type Load = Section<'load'>
type Measurement = Section<'measurement'>
/** load keys absent unless set, so the task hash of an experiment that does not set them stays as it
 *  was; their defaults are where they are used (core/run/series-options.ts, core/measure/) */
type LoadIfSet = 'thinkTimeMs' | 'clientThreads' | 'replay' | 'profile' | 'points' | 'maxRateFactor' | 'search' | 'saturation'

/**
 * "Config as resolved", derived from the schema of the config as written (schema.ts), so a key added
 * or retyped there is one here too: sections filled key by key, backend, model and probes in their
 * normalised forms (normalise.ts). `slo.attainment` and `pareto` are read from the config as written
 * where the sweep view is built, so they are not part of an experiment's resolved options.
 */
export interface ResolvedExperimentOptions {
  backend: ResolvedBackend | null
  model: ResolvedModel | null
  dataset: z.infer<typeof datasetOptionsSchema> | null
  generation: Filled<Section<'generation'>>
  load: Filled<Omit<Load, LoadIfSet>> & Pick<Load, LoadIfSet>
  measurement: Filled<Omit<Measurement, 'warmup' | 'baseline' | 'carbon'>> & {
    warmup: Filled<NonNullable<Measurement['warmup']>>
    baseline: Filled<NonNullable<Measurement['baseline']>>
    carbon: Filled<NonNullable<Measurement['carbon']>>
  }
  probes: ResolvedProbes
  sweep: Filled<Written>['sweep']
  sweepMode: Filled<Written>['sweepMode']
  repeat: number
  timeout: number
  gpus: Filled<Written>['gpus']
  parallel: Filled<Section<'parallel'>>
  slo: Filled<Omit<Section<'slo'>, 'attainment'>>
}

export interface ResolvedRunOptions {
  include: RunOption<'include'>
  exclude: RunOption<'exclude'>
  reporters: unknown[]
  outputFile: RunOption<'outputFile'> | null
  /** absolute once resolveRun has applied the rule of results/results-dir.ts */
  resultsDir: string
  cacheDir: RunOption<'cacheDir'> | null
  bail: RunOption<'bail'>
  devices: RunOption<'devices'>
  maxParallel: RunOption<'maxParallel'> | null
  order: RunOption<'order'>
  orderSeed: RunOption<'orderSeed'>
  /** temperatureMarginC null: no wait for temperature */
  cooldown: Filled<Omit<RunOption<'cooldown'>, 'temperatureMarginC'>> & { temperatureMarginC: number | null }
  executor: { name: 'local' } | SlurmExecutorOptions
  /** null: allowed unless the environment variable CI is set (as Vitest decides) */
  allowOnly: RunOption<'allowOnly'> | null
  passWithNoTests: RunOption<'passWithNoTests'>
}

export const EXPERIMENT_DEFAULTS: ResolvedExperimentOptions = {
  backend: null,
  model: null,
  dataset: null,
  generation: { maxTokens: 64, temperature: 0, topP: 1, topK: 0, seed: 0, ignoreEos: true },
  load: { concurrency: 1, rate: null, burstiness: 1, requests: null, duration: null, seed: 0, rampUp: 0 },
  measurement: {
    warmup: { mode: 'cv', requests: 5, cvThreshold: 0.05, window: 5, minRequests: 5, maxRequests: 50 },
    sampleIntervalMs: 100,
    // ML.ENERGY calls a run unstable when its steady state is under 20 s
    headlineWindow: 'auto',
    steadyStateMinSeconds: 20,
    // closed loop holds its target all but the instants between a request and its replacement; an
    // open loop that reaches its cap only now and then is not at its target load
    steadyStateMinTargetShare: 0.9,
    // off by default: a run measures the requests it asks for; a short window is reported with its
    // wide uncertainty and lower confidence instead
    minWindowSec: 0,
    // a token stamp late by 1 ms is already 5% of a 20 ms decode step
    clientLoopDelayWarnMs: 1,
    // a failed request is a measurement of nothing: none allowed unless asked for
    maxFailedRequests: 0,
    energyAgreementPct: 10,
    baseline: { enabled: true, seconds: 30, ttlSeconds: 3600, idleUtilisationPct: 5 },
    carbon: { country: null, intensity: null },
  },
  // what is unavailable is reported, never faked
  probes: { nvml: {}, amdsmi: {}, jetson: {}, rapl: {}, 'cpu-estimate': {} },
  sweep: {},
  sweepMode: 'grid',
  repeat: 1,
  timeout: 600_000,
  gpus: null,
  parallel: { data: 1 },
  slo: { ttftMs: null, tpotMs: null, e2eMs: null },
}

export const RUN_DEFAULTS: ResolvedRunOptions = {
  include: ['benchmarks/**/*.bench.ts'],
  exclude: ['**/node_modules/**', '**/dist/**'],
  reporters: ['console'],
  outputFile: null,
  resultsDir: 'llem-results',
  cacheDir: null,
  bail: 0,
  devices: 'all',
  maxParallel: null,
  order: 'grouped',
  orderSeed: 0,
  cooldown: { seconds: 0, temperatureMarginC: null, maxSeconds: 120 },
  executor: { name: 'local' },
  allowOnly: null,
  passWithNoTests: false,
}
