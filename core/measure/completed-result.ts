/**
 * The fields of a completed result, built from a closed window (session-steps.ts): metrics, warnings,
 * devices and the method record. The session merges them into its result; the raw timeline is on disk
 * before this runs, so a failure here still leaves it.
 */
import type { BackendSession } from '../backends/types.js'
import type { RawProcessResult } from '../results/schema.js'
import { realisedLengths, workloadSpec } from '../workload/workload-record.js'
import { trafficRecord } from '../workload/traffic-record.js'
import type { measureBaseline } from './baseline.js'
import { buildMetrics } from './build-metrics.js'
import { embeddingMetrics } from './embedding-metrics.js'
import { carbonIntensity } from './emissions.js'
import type { OpenProbes } from './probe-set.js'
import { methodology, type SessionTask } from './result-shell.js'
import type { MeasuredWindow } from './session-steps.js'
import { windowWarnings } from './session-warnings.js'
import { longestSampleGap, sampleJitterP99 } from './timeline.js'
import type { WarmupResult } from './types.js'

export interface CompletedInput {
  task: SessionTask
  startedAt: Date
  /** warnings the session gathered before the window */
  earlierWarnings: string[]
  window: MeasuredWindow
  sessions: OpenProbes['sessions']
  baseline: Awaited<ReturnType<typeof measureBaseline>>
  probes: OpenProbes
  backendSession: BackendSession
  warm: WarmupResult
  requests: number
  modelMemoryMb: number
  /** the raw timeline's path, relative to the run directory */
  /** null: the timeline file could not be written */
  tsRel: string | null
}

export function completedFields(c: CompletedInput) {
  const { task, window: w, sessions, baseline, probes, backendSession, warm } = c
  const cfg = task.experiment.config
  const { outcome, timeline, sampler } = w
  const devices = sessions.flatMap((s) => (s.devices?.() ?? []).map((d) => ({ ...d, probe: s.probe })))
  const carbon = carbonIntensity(cfg.measurement.carbon) ?? { g_per_kwh: 475, source: `unknown country ${cfg.measurement.carbon.country}: world average used` }
  const metrics = buildMetrics({
    outcome, latencyMode: backendSession.latencyMode, warmupRequests: warm.requests, energyStart: w.e0, energyEnd: w.e1, timeline: timeline.energy, rows: timeline.rows,
    sessions: w.windowSessions, devices, baseline, carbon, model: backendSession.model, concurrency: cfg.load.concurrency, peakRssMb: timeline.peakRssMb, modelMemoryMb: c.modelMemoryMb,
    slo: cfg.slo,
    observed: w.observed,
    task: backendSession.task,
    headline: { mode: cfg.measurement.headlineWindow, minSeconds: cfg.measurement.steadyStateMinSeconds }, steadyMinTargetShare: cfg.measurement.steadyStateMinTargetShare, clientLoopDelayWarnMs: cfg.measurement.clientLoopDelayWarnMs, agreementPct: cfg.measurement.energyAgreementPct,
  })
  const measuredBy = metrics.energy.method
  const jitter = sampleJitterP99(timeline.rows, cfg.measurement.sampleIntervalMs)
  const longestGap = longestSampleGap(timeline.rows)
  const edgeReadMs = [w.e0.read_ms ?? null, w.e1.read_ms ?? null] as const
  const warnings = windowWarnings({ task, earlier: c.earlierWarnings, metrics, sessions, timeline, outcome, requests: c.requests, backendSession, warm, jitter, longestGap, edgeReadMs, sampler, baseline, probes, measuredBy, carbon, othersBefore: w.othersBefore })
  const { startedAt } = c
  return {
    status: 'completed',
    timestamps: { start: startedAt.toISOString(), end: w.endedAt.toISOString(), duration_sec: (w.endedAt.getTime() - startedAt.getTime()) / 1000 },
    // absolute edges: data-parallel processes each open their window after their own warmup. The wall
    // clock is read at the window's end, not via performance.timeOrigin, which drifts from it in a
    // long-lived worker
    measured_window: { start_unix_ms: w.wallOffset + outcome.windowStart, end_unix_ms: w.wallOffset + outcome.windowEnd },
    inference_metrics: metrics.inference,
    energy_metrics: metrics.energy,
    energy_per_device_j: metrics.energyPerDevice,
    energy_per_device_uncertainty_j: metrics.energyPerDeviceUncertainty,
    energy_breakdown: metrics.breakdown,
    compute_metrics: metrics.compute,
    extended_metrics: metrics.extended,
    steady_state_window: metrics.steady,
    measurement_warnings: warnings,
    energy_tracking_failed: measuredBy === 'none',
    energy_measurement_warning: measuredBy === 'none' ? 'no energy probe available' : measuredBy === 'estimate' ? 'part of the energy is estimated (see energy_metrics.component_methods), not measured' : null,
    devices: devices.map((d) => ({ domain: d.domain, probe: d.probe, index: d.index, cuda_index: d.cuda_index ?? null, driver_index: d.driver_index, uuid: d.uuid, name: d.name, is_mig: d.is_mig, mig_profile: d.mig_profile, counter_update_period_ms: d.counter_update_period_ms })),
    // the host's numbering (nvidia-smi's), not the worker's: two experiments on two GPUs never share an id
    gpu_id: devices[0]?.index ?? null,
    gpu_name: devices[0]?.name ?? null,
    gpu_is_mig: devices.some((d) => d.is_mig),
    gpu_mig_profile: devices.find((d) => d.is_mig)?.mig_profile ?? null,
    // by the host's numbering too: CUDA's with CUDA_DEVICE_ORDER=PCI_BUS_ID (the worker saw them as cuda:<cuda_index>)
    device: devices.length ? devices.map((d) => `cuda:${d.index}`).join(',') : 'cpu',
    energy_validation: metrics.validation,
    thermal_throttle: metrics.thermal,
    gpu_utilisation_samples: metrics.gpuUtilSamples,
    per_request_latencies_ms: metrics.perRequestLatencies,
    requests: metrics.requests,
    prefill_decode_energy: metrics.tokenEnergy,
    timeseries_path: c.tsRel,
    over_saturation: outcome.saturation ?? null,
    workload: { ...workloadSpec(cfg.dataset!, backendSession.outputLengths ?? 'capped'), task: backendSession.task ?? 'generate', realised: realisedLengths(metrics.requests), ...trafficRecord(metrics.requests, cfg.load) },
    ...(backendSession.task === 'embeddings' ? { embedding_metrics: embeddingMetrics({ requests: metrics.requests, durationSec: metrics.inference.inference_time_sec, energyJ: metrics.energy.total_energy_j, energyUncertaintyJ: metrics.energy.total_energy_uncertainty_j ?? null }) } : {}),
    measurement_methodology: { ...methodology({ cfg, energy: metrics.energy, probes, latencyMode: backendSession.latencyMode, samples: timeline.rows.length, sampleJitterP99Ms: jitter, longestSampleGapMs: longestGap, edgeReadMs, warm, baseline, steady: metrics.steady !== null, headline: metrics.headline }), sampler: sampler.sampler, sampler_reason: sampler.reason },
  } satisfies Partial<RawProcessResult>
}
