/**
 * Step 6, inside the worker: environment snapshot -> probes -> idle baseline -> backend start (model
 * load timed apart) -> dataset -> warmup -> measured window (probes sampled, every token timed) ->
 * RawProcessResult. A failure in any phase becomes a failed result naming the phase, never a throw.
 * The phases with most to do are their own functions: the model load and the window in
 * session-steps.ts, the completed result's fields in completed-result.ts.
 */
import path from 'node:path'
import type { BackendSession } from '../backends/types.js'
import { collectMachineInfo } from '../env/machine.js'
import { isLlemError, LlemError } from '../errors.js'
import { writeFileAtomic } from '../results/atomic-write.js'
import { ExperimentLog } from '../results/experiment-log.js'
import { redactText } from '../results/redact.js'
import type { RawProcessResult } from '../results/schema.js'
import { TIMELINE_NOT_WRITTEN, timelineFile } from '../results/timeline-file.js'
import { loadParsedDataset } from '../workload/dataset.js'
import { replayArrivalsMs } from '../workload/replay.js'
import { measureBaseline } from './baseline.js'
import { failedRequestsOverLimit } from './failed-requests.js'
import { openProbes } from './probe-set.js'
import { emptyResult, errorInfo, type SessionTask } from './result-shell.js'
import { openWindowTimeline } from './sampler-thread-client.js'
import type { ProgressPhase, SessionPhase } from './phases.js'
import { runWarmup } from './warmup.js'
import { measureWindow, startBackend } from './session-steps.js'

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
    // the baseline phase is announced only when the machine is measured at rest: not when it is off,
    // reused from the cache, or impossible (a reporter would say "measuring the idle baseline for 30 s")
    const onMeasuring = () => hooks.onProgress?.('baseline', 0, null)
    const baseline = await measureBaseline(sessions, { ...cfg.measurement.baseline, sampleIntervalMs: cfg.measurement.sampleIntervalMs, othersRunning: hooks.othersRunning ?? task.othersRunning, onMeasuring }, path.join(task.cacheDir, 'baseline.json'))

    // the window's sampler on its own thread where the probes allow it: a client holding the loop
    // (thousands of streams) must not make samples late (sampler-thread.ts). It opens its probe
    // instances while the model loads, after the idle baseline, which its opening would disturb
    let onSamplerError = () => {}
    samplerOpening = openWindowTimeline({ probes: cfg.probes, specs: probes.specs, sessions, rootDir: task.rootDir, log, onError: () => onSamplerError() })
    samplerOpening.catch(() => {})

    phase = 'model_load'
    hooks.onProgress?.('model_load', 0, null)
    const loaded = await startBackend(task, sessions, log)
    const bs = (backendSession = loaded.session)
    const { modelMemoryMb } = loaded
    const m = bs.model
    result.backend_version = bs.backendVersion
    result.model_name = m.name
    result.model_load = { load_time_ms: loaded.loadMs, rss_delta_mb: modelMemoryMb, model_file_size_mb: m.file_size_mb, model_path: m.path, parameters: m.parameters, architecture: m.architecture, shape: m.shape, energy_j: loaded.loadEnergy.total, energy_per_domain_j: loaded.loadEnergy.perDomain }
    Object.assign(result.environment.software as object, bs.software)
    result.environment.backend_settings = bs.settings

    phase = 'dataset'
    const prompts = await loadParsedDataset(cfg.dataset!, { baseDir: task.rootDir, tokenizer: bs.tokenizer })
    const requests = cfg.load.requests ?? prompts.length
    // trace replay: each request at its trace time; conversations: the history goes through the chat endpoint
    const arrivalsMs = cfg.load.replay ? replayArrivalsMs(prompts, requests, cfg.load.replay.timeScale ?? 1) : undefined
    if (prompts.some((p) => p.turns) && !bs.conversations)
      throw new LlemError('BENCH_INVALID', `dataset.multiTurn: conversations are sent with their history through a chat endpoint, which this ${cfg.backend!.name} backend does not use: set endpoint: 'chat' on an OpenAI-compatible backend (openai, or a managed server such as llama-server)`)

    phase = 'warmup'
    const warm = await runWarmup(bs, prompts, cfg.measurement.warmup, cfg.generation.maxTokens, (d, t) => hooks.onProgress?.('warmup', d, t))
    result.warmup_result = warm

    phase = 'measure'
    hooks.onProgress?.('measure', 0, requests)
    const w = await measureWindow({ task, hooks, log, sessions, samplerOpening, backendSession: bs, prompts, requests, arrivalsMs, setOnSamplerError: (f: () => void) => (onSamplerError = f) })
    const { outcome, timeline, firstError } = w

    phase = 'results'
    measured()
    // what builds the result (metrics, uncertainty, warnings: most of this process's modules) loads
    // only now, while the timeline is written: the next experiment's process, starting meanwhile, is
    // ready that much sooner (docs/scheduling.md#performance), and nothing is measured any more
    const building = import('./completed-result.js')
    building.catch(() => {})
    // the raw timeline goes to disk before any metric is built: whatever fails after this, it is kept
    const tsRel = timelineFile(task.experiment.id, task.processIndex)
    // a full disk fails the file, never the data: the figures are built from the timeline in memory,
    // and the result says the file is missing (timeseries_path null; the run names it at its end)
    const written = await writeFileAtomic(path.join(task.runDir, tsRel), timeline.toCsv(outcome.windowStart)).then(
      () => true,
      (e: unknown) => {
        result.measurement_warnings.push(`${TIMELINE_NOT_WRITTEN}: ${e instanceof Error ? e.message : String(e)}; the figures of this result are whole, its power timeline is not on disk`)
        return false
      },
    )
    result.timeseries_path = written ? tsRel : null
    const { completedFields } = await building
    const completed = completedFields({ task, startedAt, earlierWarnings: result.measurement_warnings, window: w, sessions, baseline, probes, backendSession: bs, warm, requests, modelMemoryMb, tsRel: result.timeseries_path })
    Object.assign(result, completed)
    // past measurement.maxFailedRequests the survivors' figures are not the workload's: the experiment
    // fails, and its metrics stay in the result for inspection
    const inference = completed.inference_metrics
    const overLimit = failedRequestsOverLimit(inference.num_failed_requests, inference.num_requests, cfg.measurement.maxFailedRequests)
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
    // a backend's close() may be sync (`close() {}`) or throw at once: its result stands either way
    if (backendSession) await new Promise<void>((done) => done(backendSession!.close())).catch((e) => log(`backend ${cfg.backend?.name ?? 'none'} close failed: ${e instanceof Error ? e.message : String(e)}`))
    await samplerOpening?.then((w) => w.timeline.close()).catch((e) => log(`sampler close failed: ${String(e)}`))
    // a probe's close() may throw at once or reject: either way its readings are taken already, and the
    // result stands; the failure goes to the log
    for (const s of probes?.sessions ?? []) await new Promise<void>((done) => done(s.close())).catch((e) => log(`probe ${s.probe} close failed: ${e instanceof Error ? e.message : String(e)}`))
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
