/**
 * Idle baseline: the power drawn with nothing running, measured before the model loads and cached per
 * machine and energy domain (a GPU by its UUID) with a TTL, so `adjusted = raw - baseline_power x
 * duration` isolates what the workload cost. A device that is busy is not idle: then no baseline is
 * measured (a busy baseline would subtract someone else's work). A stale or foreign entry is re-measured.
 */
import { readFileSync } from 'node:fs'
import { makeDirs } from '../results/make-dirs.js'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { writeFileAtomic } from '../results/atomic-write.js'
import type { ProbeSession } from '../probes/types.js'
import { energyBetween, interpolateSnapshot, snapshotEnergy, totalledKeys, type EnergySnapshot } from './probe-set.js'

export interface BaselineResult {
  method: 'fresh' | 'cached' | 'unavailable' | 'disabled'
  /** the sum over counted domains */
  power_w: number | null
  per_domain_w: Record<string, number>
  cache_age_sec: number | null
  duration_sec: number | null
  samples: number | null
  /** mean power of each of a few equal blocks of the baseline, per domain (batch means: the spread
   *  the error model needs for the baseline's standard error); {} when not recorded */
  block_powers_per_domain_w?: Record<string, number[]>
  note: string
}

interface CacheEntry {
  power_w: number
  per_domain_w: Record<string, number>
  measured_at: number
  duration_sec: number
  samples: number
  block_powers_per_domain_w?: Record<string, number[]>
}

/** Host name plus every counted domain (GPU UUIDs included): a different device set is a different key. */
export function baselineKey(sessions: ProbeSession[]): string {
  const domains = sessions.flatMap((s) => s.readEnergy().filter((d) => !d.contained_in).map((d) => `${s.probe}:${d.domain}`))
  return `${os.hostname()}|${domains.sort().join(',')}`
}

const none = (method: BaselineResult['method'], note: string, extra: Partial<BaselineResult> = {}): BaselineResult => ({
  method, power_w: null, per_domain_w: {}, cache_age_sec: null, duration_sec: null, samples: null, block_powers_per_domain_w: {}, note, ...extra,
})

/**
 * Other experiments on this machine: a flag fixed when the task was made (the local executor knows
 * what it started), or a check asked before and after the baseline, naming them (a Slurm task
 * learns its siblings on the node only when it runs there).
 */
export type OthersRunning = boolean | (() => string | null)

export async function measureBaseline(
  sessions: ProbeSession[],
  opts: { enabled: boolean; seconds: number; ttlSeconds: number; sampleIntervalMs: number; idleUtilisationPct?: number; othersRunning?: OthersRunning; onMeasuring?: () => void },
  cacheFile: string,
): Promise<BaselineResult> {
  if (!opts.enabled || opts.seconds <= 0) return none('disabled', 'baseline disabled')
  if (sessions.length === 0) return none('unavailable', 'no energy probe available')
  const key = baselineKey(sessions)
  const cache = readCache(cacheFile)
  const hit = cache[key]
  const now = Date.now()
  if (hit && (now - hit.measured_at) / 1000 <= opts.ttlSeconds) {
    const age = (now - hit.measured_at) / 1000
    return { method: 'cached', power_w: hit.power_w, per_domain_w: hit.per_domain_w ?? {}, cache_age_sec: age, duration_sec: hit.duration_sec, samples: hit.samples, block_powers_per_domain_w: hit.block_powers_per_domain_w ?? {}, note: `measured ${age.toFixed(0)} s ago over ${hit.duration_sec.toFixed(1)} s (TTL ${opts.ttlSeconds} s)` }
  }
  // another experiment on this host heats the CPU package and RAM: no idle baseline now (and none cached)
  const others = typeof opts.othersRunning === 'function' ? opts.othersRunning() : opts.othersRunning ? '' : null
  if (others !== null) return none('unavailable', `other experiments are running on this machine${others ? ` (${others})` : ''}: an idle baseline cannot be taken now`)
  const busy = sessions.map((s) => s.busy?.(opts.idleUtilisationPct ?? 5) ?? null).find((b) => b !== null)
  if (busy) return none('unavailable', `not idle: ${busy}`)
  // host CPUs are judged over the baseline itself: their busy share needs a window, not a reading
  const idleWindows = sessions.flatMap((s) => (s.idleWindow ? [s.idleWindow()] : []))
  // only now is the machine measured at rest (not when the baseline is cached, off or impossible)
  opts.onMeasuring?.()
  // sample at the timeline interval so counters that wrap are read often enough
  const start = snapshotEnergy(sessions, performance.now(), { fresh: true })
  const trace: EnergySnapshot[] = [start]
  let samples = 0
  const end = performance.now() + opts.seconds * 1000
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(opts.sampleIntervalMs, Math.max(1, end - performance.now()))))
    for (const s of sessions) s.sample()
    trace.push(snapshotEnergy(sessions, performance.now()))
    samples++
  }
  const stop = snapshotEnergy(sessions, performance.now(), { fresh: true })
  trace.push(stop)
  const duration = (stop.t - start.t) / 1000
  const delta = energyBetween(start, stop)
  if (delta.total === null || duration <= 0) return none('unavailable', 'probes report no energy domains', { duration_sec: duration, samples })
  const busyAfter = sessions.map((s) => s.busy?.(opts.idleUtilisationPct ?? 5) ?? null).find((b) => b !== null)
  if (busyAfter) return none('unavailable', `not idle during the baseline: ${busyAfter}`, { duration_sec: duration, samples })
  const idle = idleWindows.map((w) => w.end(opts.idleUtilisationPct ?? 5))
  const othersAfter = typeof opts.othersRunning === 'function' ? opts.othersRunning() : null
  if (othersAfter) return none('unavailable', `other experiments started on this machine during the baseline (${othersAfter})`, { duration_sec: duration, samples })
  const cpuBusy = idle.find((v) => v.busy !== null)?.busy
  if (cpuBusy) return none('unavailable', `not idle during the baseline: ${cpuBusy}`, { duration_sec: duration, samples })
  // the domains the total is made of, and only those: psys (the platform) is not contained in the package
  // but contains it and DRAM, so listing it would count that power twice, as the total never does
  const totalled = new Set(totalledKeys(stop))
  const perDomain = Object.fromEntries(Object.entries(delta.perDomain).filter(([k]) => totalled.has(k)).map(([k, j]) => [k, j / duration]))
  const power = delta.total / duration
  const blocks = blockPowers(trace, Object.keys(perDomain))
  cache[key] = { power_w: power, per_domain_w: perDomain, measured_at: now, duration_sec: duration, samples, block_powers_per_domain_w: blocks }
  try {
    makeDirs(path.dirname(cacheFile))
    await writeFileAtomic(cacheFile, JSON.stringify(cache, null, 2))
  } catch {
    /* a read-only cache dir costs a re-measurement next time, nothing else */
  }
  return { method: 'fresh', power_w: power, per_domain_w: perDomain, cache_age_sec: 0, duration_sec: duration, samples, block_powers_per_domain_w: blocks, note: [`measured now over ${duration.toFixed(1)} s, ${samples} samples`, ...new Set(idle.map((v) => v.note))].join('; ') }
}

/**
 * Mean power per domain over K equal blocks of the baseline (K up to 10, blocks of at least 0.5 s so
 * each spans several counter updates, 2 at least): the spread of these batch means, not of single
 * samples, is what the error model takes for the standard error of the baseline's mean power.
 */
export function blockPowers(trace: readonly EnergySnapshot[], keys: readonly string[]): Record<string, number[]> {
  const first = trace[0]
  const last = trace[trace.length - 1]
  const span = last.t - first.t
  if (trace.length < 3 || span <= 0) return {}
  const k = Math.max(2, Math.min(10, Math.floor(span / 500)))
  const edges = Array.from({ length: k + 1 }, (_, i) => interpolateSnapshot(trace as EnergySnapshot[], first.t + (span * i) / k))
  const out: Record<string, number[]> = {}
  for (const key of keys) {
    const powers: number[] = []
    for (let i = 0; i < k; i++) {
      const a = edges[i]?.domains[key]
      const b = edges[i + 1]?.domains[key]
      if (!a || !b) break
      powers.push((b.energy_j - a.energy_j) / (span / k / 1000))
    }
    if (powers.length === k) out[key] = powers
  }
  return out
}

function readCache(file: string): Record<string, CacheEntry> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, CacheEntry>) : {}
  } catch {
    return {}
  }
}
