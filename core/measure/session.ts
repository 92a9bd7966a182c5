/**
 * Step 6, inside the worker: environment snapshot -> probes -> idle baseline -> backend start (model
 * load timed apart) -> dataset -> warmup -> measured window (probes sampled, every token timed) ->
 * RawProcessResult. A failure in any phase becomes a failed result naming the phase, never a throw.
 */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Backend, BackendSession } from '../backends/types.js'
import { collectMachineInfo } from '../env/machine.js'
import { isLlemError, LlemError } from '../errors.js'
import { loadBackend } from '../plugins/load-plugins.js'
import { writeFileAtomic } from '../results/atomic-write.js'
import { ExperimentLog } from '../results/experiment-log.js'
import { redactText } from '../results/redact.js'
import type { RawProcessResult } from '../results/schema.js'
import { loadDataset } from '../workload/dataset.js'
import { realisedLengths, workloadSpec } from '../workload/workload-record.js'
import { replayArrivalsMs } from '../workload/replay.js'
import { trafficRecord } from '../workload/traffic-record.js'
import { measureBaseline } from './baseline.js'
import { buildMetrics } from './build-metrics.js'
import { embeddingMetrics } from './embedding-metrics.js'
import { carbonIntensity } from './emissions.js'
import { failedRequestsOverLimit } from './failed-requests.js'
import { runLoad } from './load-runner.js'
import { autoClientThreads } from './client-threads-auto.js'
import { saturationWindowSec } from '../run/series-options.js'
import { energyBetween, openProbes, snapshotEnergy } from './probe-set.js'
import { emptyResult, errorInfo, methodology, type SessionTask } from './result-shell.js'
import { openWindowTimeline } from './sampler-thread-client.js'
import { sampleJitterP99, type Timeline } from './timeline.js'
import type { ProgressPhase, SessionPhase } from './phases.js'
import { runWarmup } from './warmup.js'
import { windowWarnings } from './session-warnings.js'

export type { SessionTask } from './result-shell.js'

export interface SessionHooks {
  onProgress?(phase: ProgressPhase, done: number, total: number | null): void
  signal?: AbortSignal
  /** names the other experiments running on this machine now (asked before and after the idle
   *  baseline), or null; overrides task.othersRunning (a Slurm task finds its siblings on the node) */
  othersRunning?: () => string | null
  /** once, when nothing more is measured: the window has closed, or the session failed before or in
   *  it. What follows (metrics, files, closing the backend) is not measured, so the main process may
   *  start the next experiment's worker beside it (core/run/pool.ts) */
  onMeasured?(): void
}

export async function runSession(task: SessionTask, hooks: SessionHooks = {}): Promise<RawProcessResult> {
  const startedAt = new Date()
  const result = emptyResult(task, startedAt)
  const cfg = task.experiment.config
  const logRel = path.join('logs', `${task.experiment.id}${task.processIndex ? `.process_${task.processIndex}` : ''}.log`)
  // a server prints what it was given (its command line, its environment): masked like results. Bounded:
  // lines go to the file as they come, only the last ones stay in memory (core/results/experiment-log.ts)
  const logs = new ExperimentLog(path.join(task.runDir, logRel), { transform: redactText })
  const log = (line: string) => logs.push(line)
  let phase: SessionPhase = 'probes'
  let backendSession: BackendSession | undefined
  let probes: Awaited<ReturnType<typeof openProbes>> | undefined
  let samplerOpening: ReturnType<typeof openWindowTimeline> | undefined
  let measuredSent = false
  const measured = () => {
    if (measuredSent) return
    measuredSent = true
    hooks.onMeasured?.()
  }
  try {
    const machine = await collectMachineInfo()
    probes = await openProbes(cfg.probes, log, task.rootDir)
    const sessions = probes.sessions
    result.environment = { machine, software: { node: process.version, llem: task.llemVersion }, probes: Object.fromEntries(sessions.map((s) => [s.probe, s.describe()])), unavailable_probes: probes.unavailable }

    phase = 'baseline'
    hooks.onProgress?.('baseline', 0, null)
    const baseline = await measureBaseline(sessions, { ...cfg.measurement.baseline, sampleIntervalMs: cfg.measurement.sampleIntervalMs, othersRunning: hooks.othersRunning ?? task.othersRunning }, path.join(task.cacheDir, 'baseline.json'))

    // the window's sampler on its own thread where the probes allow it: a client holding the loop
    // (thousands of streams) must not make samples late (sampler-thread.ts). It opens its probe
    // instances while the model loads, after the idle baseline, which its opening would disturb
    let onSamplerError = () => {}
    samplerOpening = openWindowTimeline({ probes: cfg.probes, specs: probes.specs, sessions, rootDir: task.rootDir, log, onError: () => onSamplerError() })
    samplerOpening.catch(() => {})

    phase = 'model_load'
    hooks.onProgress?.('model_load', 0, null)
    const backendName = cfg.backend!.name
    // a built-in by name, or the user's own module by path or package, resolved as the main process did
    const backend: Backend = await loadBackend(backendName, task.rootDir)
    const { name: _name, ...rawOptions } = cfg.backend!
    const options = (backend.options ? backend.options.parse(rawOptions) : rawOptions) as Record<string, unknown>
    const ctx = { options, model: cfg.model!, generation: cfg.generation, concurrency: cfg.load.concurrency, cacheDir: task.cacheDir, baseDir: task.rootDir, log }
    await backend.prepare?.(ctx)
    const rssBefore = process.memoryUsage.rss()
    const loadStart = performance.now()
    // model load (a server starting, weights moving to the GPU) is measured apart from the run
    const loadE0 = snapshotEnergy(sessions, loadStart, { fresh: true })
    backendSession = await backend.start(ctx)
    const loadMs = performance.now() - loadStart
    const loadEnergy = energyBetween(loadE0, snapshotEnergy(sessions, performance.now(), { fresh: true }))
    const modelMemoryMb = (process.memoryUsage.rss() - rssBefore) / 1048576
    const m = backendSession.model
    result.backend_version = backendSession.backendVersion
    result.model_name = m.name
    result.model_load = { load_time_ms: loadMs, rss_delta_mb: modelMemoryMb, model_file_size_mb: m.file_size_mb, model_path: m.path, parameters: m.parameters, architecture: m.architecture, shape: m.shape, energy_j: loadEnergy.total, energy_per_domain_j: loadEnergy.perDomain }
    Object.assign(result.environment.software as object, backendSession.software)
    result.environment.backend_settings = backendSession.settings

    phase = 'dataset'
    const prompts = await loadDataset(cfg.dataset!, { baseDir: task.rootDir, tokenizer: backendSession.tokenizer })
    const requests = cfg.load.requests ?? prompts.length
    // trace replay: each request at its trace time; conversations: the history goes through the chat endpoint
    const arrivalsMs = cfg.load.replay ? replayArrivalsMs(prompts, requests, cfg.load.replay.timeScale ?? 1) : undefined
    if (prompts.some((p) => p.turns) && !backendSession.conversations)
      throw new LlemError('BENCH_INVALID', `dataset.multiTurn: conversations are sent with their history through a chat endpoint, which this ${cfg.backend!.name} backend does not use: set endpoint: 'chat' on an OpenAI-compatible backend (openai, or a managed server such as llama-server)`)

    phase = 'warmup'
    const warm = await runWarmup(backendSession, prompts, cfg.measurement.warmup, cfg.generation.maxTokens, (d, t) => hooks.onProgress?.('warmup', d, t))
    result.warmup_result = warm

    phase = 'measure'
    hooks.onProgress?.('measure', 0, requests)
    const othersBefore = sessions.flatMap((s) => s.otherProcesses?.() ?? [])
    // a probe failing mid-window (a GPU lost) stops the load: nothing measured after it would be valid
    const stopLoad = new AbortController()
    hooks.signal?.addEventListener('abort', () => stopLoad.abort(), { once: true })
    const sampler = await samplerOpening
    onSamplerError = () => stopLoad.abort()
    const timeline = sampler.timeline
    const observer = backendSession.observeWindow?.()
    const e0 = timeline.start(cfg.measurement.sampleIntervalMs)
    // load.clientThreads: a backend whose client cannot run on threads keeps 'auto' on this one
    const threads = cfg.load.clientThreads === 'auto' ? (backendSession.startClientThreads ? autoClientThreads(cfg.load.concurrency) : { threads: 1, reason: "auto: this backend's client runs on the main thread only" }) : { threads: cfg.load.clientThreads ?? 1, reason: 'set' }
    if (cfg.load.clientThreads !== undefined) log(`client threads: ${threads.threads} (${threads.reason})`)
    let outcome: Awaited<ReturnType<typeof runLoad>>
    let e1: ReturnType<Timeline['stop']>
    try {
      outcome = await runLoad(
        backendSession,
        prompts,
        { concurrency: cfg.load.concurrency, rate: cfg.load.rate, burstiness: cfg.load.burstiness, requests, durationMs: cfg.load.duration === null ? null : cfg.load.duration * 1000, minWindowMs: cfg.measurement.minWindowSec * 1000, seed: cfg.load.seed, rampUpMs: cfg.load.rampUp * 1000, maxTokens: cfg.generation.maxTokens, shard: { index: task.processIndex, count: task.numProcesses }, thinkTimeMs: cfg.load.thinkTimeMs, arrivalsMs, saturationWindowSec: saturationWindowSec(cfg), clientThreads: threads.threads, ...(cfg.load.clientThreads !== undefined ? { clientThreadsReason: threads.reason } : {}) },
        { onRequestDone: (d) => hooks.onProgress?.('measure', d, requests), signal: stopLoad.signal },
      )
    } finally {
      // a backend error mid-load must not leave the sampler reading probes that are being closed
      e1 = timeline.stop()
    }
    const windowSessions = timeline.windowSessions(sessions)
    // one window for energy, power, duration and throughput: the two energy reads that bound the load
    outcome = { ...outcome, windowStart: e0.t, windowEnd: e1.t }
    const observed = await observer?.stop().catch((e) => ({ warnings: [`the backend's own metrics could not be read: ${e instanceof Error ? e.message : String(e)}`] }))
    const endedAt = new Date()
    const wallOffset = endedAt.getTime() - performance.now()
    const firstError = outcome.requests.find((r) => !r.ok)?.error
    if (timeline.error) throw new LlemError('PROBE_FAILED', `a probe failed during the measured window: ${timeline.error}`)
    if (hooks.signal?.aborted) throw new LlemError('INTERRUPTED', 'interrupted during the measured window')
    if (outcome.requests.length > 0 && outcome.requests.every((r) => !r.ok)) throw new LlemError('BACKEND_FAILED', `all ${outcome.requests.length} measured requests failed; the first: ${firstError}`)

    phase = 'results'
    measured()
    // the raw timeline goes to disk before any metric is built: whatever fails after this, it is kept
    const tsRel = path.join('timeseries', `${task.experiment.id}${task.processIndex ? `.process_${task.processIndex}` : ''}.csv`)
    await writeFileAtomic(path.join(task.runDir, tsRel), timeline.toCsv(outcome.windowStart))
    result.timeseries_path = tsRel
    const devices = sessions.flatMap((s) => (s.devices?.() ?? []).map((d) => ({ ...d, probe: s.probe })))
    const carbon = carbonIntensity(cfg.measurement.carbon) ?? { g_per_kwh: 475, source: `unknown country ${cfg.measurement.carbon.country}: world average used` }
    const metrics = buildMetrics({
      outcome, latencyMode: backendSession.latencyMode, warmupRequests: warm.requests, energyStart: e0, energyEnd: e1, timeline: timeline.energy, rows: timeline.rows,
      sessions: windowSessions, devices, baseline, carbon, model: m, concurrency: cfg.load.concurrency, peakRssMb: timeline.peakRssMb, modelMemoryMb,
      slo: cfg.slo,
      observed,
      task: backendSession.task,
      headline: { mode: cfg.measurement.headlineWindow, minSeconds: cfg.measurement.steadyStateMinSeconds }, steadyMinTargetShare: cfg.measurement.steadyStateMinTargetShare, clientLoopDelayWarnMs: cfg.measurement.clientLoopDelayWarnMs, agreementPct: cfg.measurement.energyAgreementPct,
    })
    const measuredBy = metrics.energy.method
    const jitter = sampleJitterP99(timeline.rows, cfg.measurement.sampleIntervalMs)
    const warnings = windowWarnings({ task, earlier: result.measurement_warnings, metrics, sessions, timeline, outcome, requests, backendSession, warm, jitter, sampler, baseline, probes, measuredBy, carbon, othersBefore })

    Object.assign(result, {
      status: 'completed',
      timestamps: { start: startedAt.toISOString(), end: endedAt.toISOString(), duration_sec: (endedAt.getTime() - startedAt.getTime()) / 1000 },
      // absolute edges: data-parallel processes each open their window after their own warmup. The wall
      // clock is read now, not via performance.timeOrigin, which drifts from it in a long-lived worker
      measured_window: { start_unix_ms: wallOffset + outcome.windowStart, end_unix_ms: wallOffset + outcome.windowEnd },
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
      timeseries_path: tsRel,
      over_saturation: outcome.saturation ?? null,
      workload: { ...workloadSpec(cfg.dataset!, backendSession.outputLengths ?? 'capped'), task: backendSession.task ?? 'generate', realised: realisedLengths(metrics.requests), ...trafficRecord(metrics.requests, cfg.load) },
      ...(backendSession.task === 'embeddings' ? { embedding_metrics: embeddingMetrics({ requests: metrics.requests, durationSec: metrics.inference.inference_time_sec, energyJ: metrics.energy.total_energy_j, energyUncertaintyJ: metrics.energy.total_energy_uncertainty_j ?? null }) } : {}),
      measurement_methodology: { ...methodology({ cfg, energy: metrics.energy, probes, latencyMode: backendSession.latencyMode, samples: timeline.rows.length, sampleJitterP99Ms: jitter, warm, baseline, steady: metrics.steady !== null, headline: metrics.headline }), sampler: sampler.sampler, sampler_reason: sampler.reason },
    } satisfies Partial<RawProcessResult>)
    // past measurement.maxFailedRequests the survivors' figures are not the workload's: the experiment
    // fails, and its metrics stay in the result for inspection
    const overLimit = failedRequestsOverLimit(metrics.inference.num_failed_requests, metrics.inference.num_requests, cfg.measurement.maxFailedRequests)
    if (overLimit) {
      result.status = 'failed'
      result.error = { code: 'TOO_MANY_FAILED_REQUESTS', message: `${overLimit}; the first error: ${firstError}`, phase: 'measure', log_tail: logs.tail(20) }
    }
  } catch (e) {
    result.status = hooks.signal?.aborted ? 'interrupted' : 'failed'
    result.error = errorInfo(e, phase, logs.tail())
    if (!isLlemError(e) && e instanceof Error && e.stack) log(e.stack)
  } finally {
    measured()
    await backendSession?.close().catch((e) => log(`backend close failed: ${String(e)}`))
    await samplerOpening?.then((w) => w.timeline.close()).catch((e) => log(`sampler close failed: ${String(e)}`))
    for (const s of probes?.sessions ?? []) await Promise.resolve(s.close()).catch(() => {})
  }
  if (logs.count > 0) {
    // the whole backend log (a server's output, a worker's stderr) stays with the result
    try {
      logs.close()
      result.log_path = logRel
    } catch {
      /* the log tail is in the error already */
    }
  }
  // a result failed for its failed requests keeps its measured timestamps with its metrics
  if (result.status !== 'completed' && result.inference_metrics === null) {
    const end = new Date()
    result.timestamps = { start: startedAt.toISOString(), end: end.toISOString(), duration_sec: (end.getTime() - startedAt.getTime()) / 1000 }
  }
  return result
}
