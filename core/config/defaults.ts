/**
 * "Config as resolved": every experiment option with its default. A default of null means "not set"
 * and is meaningful (rate null = closed loop). Values follow LLenergyMeasure's method where it has
 * one (warmup CV 0.05 over 5 requests, 5-50 requests; baseline 30 s, TTL 3600 s; sampling 100 ms).
 */
import type { z } from 'zod'
import type { RunOption, SlurmExecutorOptions } from './schema.js'
import type { datasetOptionsSchema } from '../workload/dataset-schema.js'
import type { LengthSpec } from '../workload/lengths.js'

export interface ResolvedBackend { name: string; [option: string]: unknown }
export type ResolvedModel = string | { path: string } | { random: string | Record<string, unknown> }
export type ResolvedProbes = Record<string, false | Record<string, unknown>>

export interface ResolvedExperimentOptions {
  backend: ResolvedBackend | null
  model: ResolvedModel | null
  dataset: z.infer<typeof datasetOptionsSchema> | null
  generation: { maxTokens: number; temperature: number; topP: number; topK: number; seed: number; ignoreEos: boolean }
  load: {
    concurrency: number
    rate: number | 'inf' | null
    burstiness: number
    requests: number | null
    duration: number | null
    seed: number
    rampUp: number
    /** absent unless set (the task hash of other experiments stays as it was) */
    thinkTimeMs?: number | LengthSpec
    /** absent unless set: 1 */
    clientThreads?: number | 'auto'
    replay?: { timeScale?: number }
    // absent unless set, so the task hash of an ordinary experiment does not change with them;
    // their defaults are in core/run/series-options.ts
    profile?: 'fixed' | 'sweep' | 'slo-search'
    points?: number
    maxRateFactor?: number
    search?: { over?: 'rate' | 'concurrency'; attainment?: number; tolerance?: number | string }
    saturation?: { stop?: boolean | null; windowSec?: number }
  }
  measurement: {
    warmup: { mode: 'cv' | 'fixed'; requests: number; cvThreshold: number; window: number; minRequests: number; maxRequests: number }
    sampleIntervalMs: number
    headlineWindow: 'auto' | 'total' | 'steady_state'
    steadyStateMinSeconds: number
    steadyStateMinTargetShare: number
    /** the measured window lasts at least this long (s): the dataset is cycled past load.requests until it does (0: off) */
    minWindowSec: number
    /** warn when the client's event loop runs later than this (p99, ms) during the window */
    clientLoopDelayWarnMs: number
    /** a count, or a percent string such as '5%' */
    maxFailedRequests: number | string
    energyAgreementPct: number
    baseline: { enabled: boolean; seconds: number; ttlSeconds: number; idleUtilisationPct: number }
    carbon: { country: string | null; intensity: number | null }
  }
  probes: ResolvedProbes
  sweep: Record<string, unknown[]>
  sweepMode: 'grid' | 'zip'
  repeat: number
  timeout: number
  gpus: number | null
  parallel: { data: number }
  slo: { ttftMs: number | null; tpotMs: number | null; e2eMs: number | null }
}

export interface ResolvedRunOptions {
  include: RunOption<'include'>
  exclude: RunOption<'exclude'>
  reporters: unknown[]
  outputFile: string | Record<string, string> | null
  /** absolute once resolveRun has applied the rule of results/results-dir.ts */
  resultsDir: string
  cacheDir: string | null
  bail: number
  devices: RunOption<'devices'>
  maxParallel: number | null
  order: RunOption<'order'>
  orderSeed: RunOption<'orderSeed'>
  cooldown: { seconds: number; temperatureMarginC: number | null; maxSeconds: number }
  executor: { name: 'local' } | SlurmExecutorOptions
  /** null: allowed unless the environment variable CI is set (as Vitest decides) */
  allowOnly: boolean | null
  passWithNoTests: boolean
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
