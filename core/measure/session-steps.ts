/**
 * Two phases of the session (session.ts) on their own: the model load, measured apart from the run,
 * and the measured window, from the sampler's first read to its last. Each returns what the phases
 * after it need; a failure throws, and the session records it against the phase it set.
 */
import { performance } from 'node:perf_hooks'
import type { Backend, BackendSession } from '../backends/types.js'
import { LlemError } from '../errors.js'
import { loadBackend } from '../plugins/load-plugins.js'
import type { DatasetPrompt } from '../workload/dataset.js'
import { saturationWindowSec } from '../run/series-options.js'
import { autoClientThreads } from './client-threads-auto.js'
import { runLoad } from './load-runner.js'
import { energyBetween, snapshotEnergy, type OpenProbes } from './probe-set.js'
import type { SessionTask } from './result-shell.js'
import type { openWindowTimeline } from './sampler-thread-client.js'
import type { Timeline } from './timeline.js'
import type { SessionHooks } from './session.js'

/** The backend started (a server up, weights loaded), with the time, energy and memory it took. */
export async function startBackend(task: SessionTask, sessions: OpenProbes['sessions'], log: (line: string) => void) {
  const cfg = task.experiment.config
  // a built-in by name, or the user's own module by path or package, resolved as the main process did
  const backend: Backend = await loadBackend(cfg.backend!.name, task.rootDir)
  const { name: _name, ...rawOptions } = cfg.backend!
  // parsed in the main process, so that this process need not load zod (core/plugins/lazy-schema.ts)
  const options = task.backendOptions ?? ((backend.options ? backend.options.parse(rawOptions) : rawOptions) as Record<string, unknown>)
  const ctx = { options, model: cfg.model!, generation: cfg.generation, concurrency: cfg.load.concurrency, cacheDir: task.cacheDir, baseDir: task.rootDir, log }
  await backend.prepare?.(ctx)
  const rssBefore = process.memoryUsage.rss()
  const loadStart = performance.now()
  // model load (a server starting, weights moving to the GPU) is measured apart from the run
  const loadE0 = snapshotEnergy(sessions, loadStart, { fresh: true })
  const session: BackendSession = await backend.start(ctx)
  const loadMs = performance.now() - loadStart
  const loadEnergy = energyBetween(loadE0, snapshotEnergy(sessions, performance.now(), { fresh: true }))
  const modelMemoryMb = (process.memoryUsage.rss() - rssBefore) / 1048576
  return { session, loadMs, loadEnergy, modelMemoryMb }
}

export interface WindowInput {
  task: SessionTask
  hooks: SessionHooks
  log: (line: string) => void
  sessions: OpenProbes['sessions']
  samplerOpening: ReturnType<typeof openWindowTimeline>
  backendSession: BackendSession
  prompts: DatasetPrompt[]
  requests: number
  arrivalsMs: number[] | undefined
  /** what the sampler does when a probe fails mid-window: here, stop the load */
  setOnSamplerError(f: () => void): void
}

/** The measured window: the load sent with the sampler running, and what bounds it. */
export async function measureWindow(i: WindowInput) {
  const { task, hooks, log, sessions, backendSession, prompts, requests } = i
  const cfg = task.experiment.config
  const othersBefore = sessions.flatMap((s) => s.otherProcesses?.() ?? [])
  // a probe failing mid-window (a GPU lost) stops the load: nothing measured after it would be valid
  const stopLoad = new AbortController()
  hooks.signal?.addEventListener('abort', () => stopLoad.abort(), { once: true })
  const sampler = await i.samplerOpening
  i.setOnSamplerError(() => stopLoad.abort())
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
      { concurrency: cfg.load.concurrency, rate: cfg.load.rate, burstiness: cfg.load.burstiness, requests, durationMs: cfg.load.duration === null ? null : cfg.load.duration * 1000, minWindowMs: cfg.measurement.minWindowSec * 1000, seed: cfg.load.seed, rampUpMs: cfg.load.rampUp * 1000, maxTokens: cfg.generation.maxTokens, shard: { index: task.processIndex, count: task.numProcesses }, thinkTimeMs: cfg.load.thinkTimeMs, arrivalsMs: i.arrivalsMs, saturationWindowSec: saturationWindowSec(cfg), clientThreads: threads.threads, ...(cfg.load.clientThreads !== undefined ? { clientThreadsReason: threads.reason } : {}) },
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
  return { outcome, e0, e1, timeline, sampler, windowSessions, observed, endedAt, wallOffset, firstError, othersBefore }
}

export type MeasuredWindow = Awaited<ReturnType<typeof measureWindow>>
