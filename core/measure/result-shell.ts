/**
 * The parts of a RawProcessResult that do not depend on measuring: identity and provenance from the
 * experiment, a failed-result shell with nulls, the error record, and the methodology statement.
 */
import type { ResolvedExperimentOptions } from '../config/defaults.js'
import { isLlemError } from '../errors.js'
import type { Experiment } from '../plan/plan.js'
import { isProbeError } from '../probes/probe-error.js'
import type { ErrorInfo, RawProcessResult } from '../results/schema.js'
import { SCHEMA_VERSION } from '../results/schema-version.js'
import { redactProvenance, redactSecrets } from '../results/redact.js'
import type { BaselineResult } from './baseline.js'
import type { FailurePhase } from './phases.js'
import type { WarmupResult } from './types.js'

export interface SessionTask {
  runId: string
  runDir: string
  rootDir: string
  cacheDir: string
  llemVersion: string
  experiment: Experiment
  processIndex: number
  /** data parallel: how many processes share this experiment's requests */
  numProcesses: number
  /** other experiments were running when this one started: the machine is not idle */
  othersRunning?: boolean
  /** the backend's options as its schema parsed them in the main process (run-bench.ts); absent, the
   *  worker parses them itself, loading zod to do so */
  backendOptions?: Record<string, unknown>
}

export function modelLabel(model: ResolvedExperimentOptions['model']): string {
  if (model === null) return 'none'
  if (typeof model === 'string') return model
  if ('path' in model) return model.path
  return `random:${typeof model.random === 'string' ? model.random : JSON.stringify(model.random)}`
}

export function emptyResult(task: SessionTask, startedAt: Date): RawProcessResult {
  const x = task.experiment
  return {
    schema_version: SCHEMA_VERSION,
    llem_version: task.llemVersion,
    run_id: task.runId,
    experiment_id: x.id,
    experiment_name: x.name,
    task_hash: x.task_hash,
    bench: x.bench,
    repeat_index: x.repeat_index,
    sweep_point: x.sweep_point,
    ...(x.series ? { series: x.series } : {}),
    status: 'failed',
    error: null,
    backend: x.config.backend?.name ?? 'none',
    backend_version: null,
    model_name: modelLabel(x.config.model),
    config_name: x.bench.full_name,
    process_index: task.processIndex,
    gpu_id: null,
    gpu_name: null,
    gpu_is_mig: false,
    gpu_mig_profile: null,
    device: 'cpu',
    energy_measurement_warning: null,
    energy_tracking_failed: false,
    timestamps: { start: startedAt.toISOString(), end: startedAt.toISOString(), duration_sec: 0 },
    inference_metrics: null,
    energy_metrics: null,
    energy_per_device_j: {},
    energy_breakdown: null,
    compute_metrics: null,
    extended_metrics: null,
    measurement_methodology: null,
    steady_state_window: null,
    measurement_warnings: [...x.config_warnings],
    effective_config: redactSecrets(x.config as unknown as Record<string, unknown>),
    cli_overrides: redactSecrets(x.cli_overrides),
    config_warnings: x.config_warnings,
    parameter_provenance: redactProvenance(x.provenance),
    preset_chain: [],
    per_request_latencies_ms: [],
    requests: [],
    gpu_utilisation_samples: [],
    devices: [],
    shared_energy: null,
    energy_validation: null,
    environment: null,
    thermal_throttle: null,
    warmup_result: null,
    model_load: null,
    timeseries_path: null,
  }
}

export function errorInfo(e: unknown, phase: FailurePhase, logs: string[]): ErrorInfo {
  // a probe's own error (a GPU lost while the baseline was measured) is the probe's failure
  const probeError = isProbeError(e)
  // after the window closed only llem's own code runs: an error there is not the backend's
  const code = isLlemError(e) ? e.code : probeError || phase === 'probes' || phase === 'baseline' ? 'PROBE_FAILED' : phase === 'results' ? 'METRICS_FAILED' : 'BACKEND_FAILED'
  const message = e instanceof Error ? e.message : String(e)
  return { code, message, phase, log_tail: logs.slice(-20) }
}

export function methodology(a: {
  cfg: ResolvedExperimentOptions
  energy: NonNullable<RawProcessResult['energy_metrics']>
  probes: { unavailable: Record<string, string> }
  latencyMode: NonNullable<RawProcessResult['measurement_methodology']>['latency_mode']
  samples: number
  /** p99 of |gap - sampleIntervalMs| between consecutive timeline samples, ms (null: under 2 samples) */
  sampleJitterP99Ms?: number | null
  /** how long the window's start and end energy reads took (EnergySnapshot.read_ms) */
  edgeReadMs?: readonly [number | null, number | null]
  /** the longest gap between consecutive timeline samples, ms (null: under 2 samples) */
  longestSampleGapMs?: number | null
  warm: WarmupResult
  baseline: BaselineResult
  steady: boolean
  headline: { window: 'total' | 'steady_state'; reason: string; energy_per_token_j: number | null; energy_per_token_uncertainty_j?: number | null }
}): NonNullable<RawProcessResult['measurement_methodology']> {
  const w = a.cfg.measurement.warmup
  const notes: string[] = []
  const components = Object.entries(a.energy.component_methods)
  for (const [kind, c] of components) notes.push(`${kind}: ${c.method} from ${c.probe} (${c.confidence} confidence)`)
  if (components.some(([, c]) => c.method === 'estimate')) notes.push('an estimate is a model (utilisation x per-core power), not a measurement: compare estimates only with estimates')
  if (components.some(([, c]) => c.method === 'counter')) notes.push('counter energy is read at the window boundaries; the instant-power timeline is sampled beside it and cross-checked')
  notes.push(`headline J/token from the ${a.headline.window} window: ${a.headline.reason}`)
  notes.push('energy per token = window energy / output tokens (as ML.ENERGY); adjusted energy subtracts idle baseline power x duration')
  if (a.energy.total_energy_uncertainty_j != null)
    notes.push('each *_uncertainty_j is a 95% half-width around its figure from error model v1: counter edges and resolution, vendor sensor accuracy, sampling, baseline spread (energy_metrics.uncertainty lists the terms)')
  return {
    energy_method: a.energy.method,
    energy_confidence: a.energy.confidence,
    energy_probes: a.energy.probes,
    unavailable_probes: a.probes.unavailable,
    windows: a.steady ? ['total', 'steady_state'] : ['total'],
    headline_window: a.headline.window,
    headline_reason: a.headline.reason,
    headline_energy_per_token_j: a.headline.energy_per_token_j,
    headline_energy_per_token_uncertainty_j: a.headline.energy_per_token_uncertainty_j ?? null,
    latency_mode: a.latencyMode,
    sample_interval_ms: a.cfg.measurement.sampleIntervalMs,
    timeline_samples: a.samples,
    sample_interval_jitter_p99_ms: a.sampleJitterP99Ms ?? null,
    sample_interval_max_gap_ms: a.longestSampleGapMs ?? null,
    ...(a.edgeReadMs ? { edge_read_ms: [a.edgeReadMs[0], a.edgeReadMs[1]] as [number | null, number | null] } : {}),
    warmup: w.mode === 'fixed' ? `fixed: ${w.requests} requests` : `until CV of the last ${w.window} request latencies per output token < ${w.cvThreshold} (${w.minRequests}-${w.maxRequests} requests); ${a.warm.converged ? 'converged' : 'not converged'} after ${a.warm.requests}`,
    baseline: `${a.baseline.method}: ${a.baseline.note}`,
    notes,
  }
}
