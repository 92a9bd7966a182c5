/**
 * Idle baseline: the power drawn with nothing running, measured before the model loads and cached per
 * machine and probe set with a TTL, so `adjusted = raw - baseline_power x duration` isolates what the
 * workload cost. The cache is a small JSON file; a stale or foreign entry is simply re-measured.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { writeFileAtomic } from '../results/atomic-write.js'
import type { ProbeSession } from '../probes/types.js'
import { energyBetween, snapshotEnergy } from './probe-set.js'

export interface BaselineResult {
  method: 'fresh' | 'cached' | 'unavailable' | 'disabled'
  power_w: number | null
  cache_age_sec: number | null
  duration_sec: number | null
  samples: number | null
  note: string
}

interface CacheEntry {
  power_w: number
  measured_at: number
  duration_sec: number
  samples: number
}

export function baselineKey(sessions: ProbeSession[]): string {
  const domains = sessions.flatMap((s) => s.readEnergy().filter((d) => !d.contained_in).map((d) => `${s.probe}:${d.domain}`))
  return `${os.hostname()}|${domains.sort().join(',')}`
}

export async function measureBaseline(
  sessions: ProbeSession[],
  opts: { enabled: boolean; seconds: number; ttlSeconds: number; sampleIntervalMs: number },
  cacheFile: string,
): Promise<BaselineResult> {
  if (!opts.enabled || opts.seconds <= 0) return { method: 'disabled', power_w: null, cache_age_sec: null, duration_sec: null, samples: null, note: 'baseline disabled' }
  if (sessions.length === 0) return { method: 'unavailable', power_w: null, cache_age_sec: null, duration_sec: null, samples: null, note: 'no energy probe available' }
  const key = baselineKey(sessions)
  const cache = readCache(cacheFile)
  const hit = cache[key]
  const now = Date.now()
  if (hit && (now - hit.measured_at) / 1000 <= opts.ttlSeconds) {
    const age = (now - hit.measured_at) / 1000
    return { method: 'cached', power_w: hit.power_w, cache_age_sec: age, duration_sec: hit.duration_sec, samples: hit.samples, note: `measured ${age.toFixed(0)} s ago over ${hit.duration_sec.toFixed(1)} s (TTL ${opts.ttlSeconds} s)` }
  }
  // sample at the timeline interval so counters that wrap are read often enough
  const start = snapshotEnergy(sessions, performance.now())
  let samples = 0
  const end = performance.now() + opts.seconds * 1000
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(opts.sampleIntervalMs, Math.max(1, end - performance.now()))))
    for (const s of sessions) s.sample()
    snapshotEnergy(sessions, performance.now())
    samples++
  }
  const stop = snapshotEnergy(sessions, performance.now())
  const duration = (stop.t - start.t) / 1000
  const energy = energyBetween(start, stop).total
  if (energy === null || duration <= 0) return { method: 'unavailable', power_w: null, cache_age_sec: null, duration_sec: duration, samples, note: 'probes report no energy domains' }
  const power = energy / duration
  cache[key] = { power_w: power, measured_at: now, duration_sec: duration, samples }
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true })
    await writeFileAtomic(cacheFile, JSON.stringify(cache, null, 2))
  } catch {
    /* a read-only cache dir costs a re-measurement next time, nothing else */
  }
  return { method: 'fresh', power_w: power, cache_age_sec: 0, duration_sec: duration, samples, note: `measured now over ${duration.toFixed(1)} s, ${samples} samples` }
}

function readCache(file: string): Record<string, CacheEntry> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, CacheEntry>) : {}
  } catch {
    return {}
  }
}
