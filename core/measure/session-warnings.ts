/**
 * The session's warnings about its measured window (the results phase, measure/session.ts): what makes
 * a figure less than it seems (a cycled dataset, short outputs, a late sampler, too few samples, no
 * baseline, a missing probe, an unknown country, over-saturation, other processes on the GPUs).
 */
import type { BackendSession } from '../backends/types.js'
import type { SessionTask } from './result-shell.js'
import type { measureBaseline } from './baseline.js'
import type { buildMetrics } from './build-metrics.js'
import type { runLoad } from './load-runner.js'
import { fallbackWarnings, type openProbes } from './probe-set.js'
import type { openWindowTimeline } from './sampler-thread-client.js'
import type { Timeline } from './timeline.js'
import type { runWarmup } from './warmup.js'

type Sessions = Awaited<ReturnType<typeof openProbes>>['sessions']

export interface WindowFacts {
  task: SessionTask
  earlier: string[]
  metrics: ReturnType<typeof buildMetrics>
  sessions: Sessions
  timeline: Timeline
  outcome: Awaited<ReturnType<typeof runLoad>>
  requests: number
  backendSession: BackendSession
  warm: Awaited<ReturnType<typeof runWarmup>>
  jitter: number | null
  /** the longest gap between timer samples, ms */
  longestGap: number | null
  /** how long the window's start and end energy reads took, ms (EnergySnapshot.read_ms) */
  edgeReadMs: readonly [number | null, number | null]
  sampler: Awaited<ReturnType<typeof openWindowTimeline>>
  baseline: Awaited<ReturnType<typeof measureBaseline>>
  probes: Awaited<ReturnType<typeof openProbes>>
  measuredBy: string
  carbon: { source: string }
  othersBefore: NonNullable<ReturnType<NonNullable<Sessions[number]['otherProcesses']>>>
}

/** a gap this many intervals long is a stall worth naming even when the p99 is on time */
const STALL_INTERVALS = 5
/** an edge's energy reads take microseconds to a fraction of a ms on a quiet machine: this long, the
 *  reading thread was kept off its core (or a driver call stalled), and the edge's moment is that vague */
export const EDGE_READ_WARN_MS = 5

export function windowWarnings(w: WindowFacts): string[] {
  const { task, metrics, sessions, timeline, outcome, requests, backendSession, warm, jitter, longestGap, sampler, baseline, probes, measuredBy, carbon, othersBefore } = w
  const cfg = task.experiment.config
  const warnings = [...w.earlier, ...metrics.warnings, ...new Set([...sessions.flatMap((s) => s.warnings()), ...timeline.threadWarnings])]
  const extraRequests = outcome.requests.length - Math.ceil((requests - task.processIndex) / task.numProcesses)
  if (cfg.measurement.minWindowSec > 0 && extraRequests > 0)
    warnings.push(`the load was extended by ${extraRequests} requests (the dataset cycled) to keep the measured window at least measurement.minWindowSec = ${cfg.measurement.minWindowSec} s`)
  const short = outcome.requests.filter((r) => r.ok && r.requestedOutputTokens !== undefined && r.outputTokens < r.requestedOutputTokens).length
  if (short > 0 && backendSession.outputLengths === 'enforced')
    warnings.push(`${short} completed requests produced fewer tokens than they asked for, though the backend was told to ignore end-of-sequence: the server may not honour ignore_eos, so output lengths were only capped`)
  if (!warm.converged) warnings.push(`warmup did not converge: CV ${warm.final_cv?.toFixed(3) ?? 'n/a'} after ${warm.requests} requests (target ${warm.target_cv})`)
  const interval = cfg.measurement.sampleIntervalMs
  const where = sampler.sampler === 'event-loop' ? `it shares the event loop with the load's client: ${sampler.reason}` : 'on its own thread: the machine is short of CPU'
  if (jitter !== null && jitter > interval)
    warnings.push(`the power sampler ran late: its gaps strayed up to ${jitter.toFixed(1)} ms (p99) from the ${interval} ms interval (${where}): integrated power and the timeline are coarser than configured`)
  else if (longestGap !== null && longestGap > STALL_INTERVALS * interval)
    warnings.push(`the power sampler stalled: its longest gap was ${longestGap.toFixed(1)} ms, ${Math.round(longestGap / interval)} times the ${interval} ms interval (${where}): over that gap integrated power is a straight line between two readings`)
  w.edgeReadMs.forEach((ms, i) => {
    if (ms !== null && ms > EDGE_READ_WARN_MS)
      warnings.push(`the energy reads at the window's ${i === 0 ? 'start' : 'end'} took ${ms.toFixed(1)} ms (the reading thread kept off its core, or a probe slow to answer): the edge is dated to their middle, so its moment is known to ±${(ms / 2).toFixed(1)} ms, which the energy uncertainty counts`)
  })
  if (timeline.rows.length < 10) warnings.push(`only ${timeline.rows.length} probe samples in the measured window (${metrics.inference.inference_time_sec.toFixed(2)} s at ${cfg.measurement.sampleIntervalMs} ms): too short for a stable power timeline; measure more requests`)
  if (baseline.method === 'unavailable') warnings.push(`no idle baseline: ${baseline.note}`)
  for (const [name, why] of Object.entries(probes.unavailable)) if (why.startsWith('failed to open')) warnings.push(`probe ${name} ${why}: its energy is missing from this result`)
  warnings.push(...fallbackWarnings(probes))
  if (measuredBy === 'none') warnings.push(`no energy probe available (${Object.entries(probes.unavailable).map(([k, v]) => `${k}: ${v}`).join('; ')}): energy is not reported`)
  if (carbon.source.startsWith('unknown country')) warnings.push(carbon.source)
  const sat = outcome.saturation
  if (sat?.over_saturated)
    warnings.push(`over-saturated: the outstanding requests and TTFT grew over ${sat.window_sec} s (${sat.queue_growth_per_sec?.toFixed(2)} requests/s, ${sat.ttft_growth_ms_per_sec?.toFixed(1)} ms TTFT per s), so sending stopped at ${sat.detected_at_sec?.toFixed(1)} s; ${sat.dropped_unsent} due arrivals were not sent. Its latency and throughput are those of a server past capacity`)
  for (const p of [...othersBefore, ...sessions.flatMap((s) => s.otherProcesses?.() ?? [])].filter((p, i, all) => all.findIndex((q) => q.pid === p.pid && q.device === p.device) === i))
    warnings.push(`another process (pid ${p.pid}${p.used_memory_mb !== null ? `, ${p.used_memory_mb.toFixed(0)} MB` : ''}) was using ${p.device} during the run: its energy is in this measurement`)
  return warnings
}
