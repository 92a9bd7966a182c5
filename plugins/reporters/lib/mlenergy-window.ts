/**
 * ML.ENERGY's steady state, computed from what llem stores: the window runs from the moment
 * max_num_seqs requests have their first token to the moment num_requests - max_num_seqs - 1 have
 * finished (it is not llem's own steady_state_window, which follows the number in flight). Its energy
 * comes from the stored power timeline (cumulative counters, interpolated at the window's ends), its
 * tokens from each request's token times. Times are seconds from the start of a process's measured
 * window, the origin of both `requests[].start_ms` and the timeline's `t_sec`.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { AggregatedResult, RawProcessResult, RequestRecord } from 'llem/plugin'
import { minOf } from 'llem/plugin'
import { isRecord } from './files.js'
import { splitItl } from './request-rows.js'

export interface Window {
  start: number
  end: number
}

/** The window by ML.ENERGY's rule, or null when the run is too short to have one. */
export function mlEnergyWindow(requests: readonly RequestRecord[], maxNumSeqs: number): Window | null {
  const n = requests.length
  const firsts: number[] = []
  const finishes: number[] = []
  for (const r of requests) {
    if (!r.ok) continue
    if (r.ttft_ms !== null) firsts.push((r.start_ms + r.ttft_ms) / 1000)
    if (r.e2e_ms !== null) finishes.push((r.start_ms + r.e2e_ms) / 1000)
  }
  const endCount = n - maxNumSeqs - 1
  if (maxNumSeqs < 1 || firsts.length < maxNumSeqs || endCount < 1 || finishes.length < endCount) return null
  firsts.sort((a, b) => a - b)
  finishes.sort((a, b) => a - b)
  const w = { start: firsts[maxNumSeqs - 1], end: finishes[endCount - 1] }
  return w.end > w.start ? w : null
}

/** Each successful request's token arrival times: the first token, then its ITLs when known, else spread evenly to its end. */
function tokenTimes(r: RequestRecord, itlMs: number[] | null, visit: (t: number) => void): void {
  if (!r.ok || r.ttft_ms === null || r.output_tokens < 1) return
  let t = (r.start_ms + r.ttft_ms) / 1000
  visit(t)
  const rest = r.output_tokens - 1
  if (itlMs && itlMs.length === rest) {
    for (const gap of itlMs) visit((t += gap / 1000))
  } else if (rest > 0 && r.e2e_ms !== null) {
    const step = (r.e2e_ms - r.ttft_ms) / 1000 / rest
    for (let k = 1; k <= rest; k++) visit(t + k * step)
  }
}

/** Output tokens that arrived in (start, end], as ML.ENERGY's token counter counts them. */
export function tokensIn(p: RawProcessResult, w: Window): number {
  const itl = splitItl(p)
  let count = 0
  p.requests.forEach((r, i) => tokenTimes(r, itl?.[i] ?? null, (t) => void (t > w.start && t <= w.end && count++)))
  return count
}

/** Mean number of requests in flight over the window (client side: sent and not yet finished). */
export function meanInFlight(requests: readonly RequestRecord[], w: Window): number {
  let busy = 0
  for (const r of requests) {
    if (!r.ok || r.e2e_ms === null) continue
    const s = r.start_ms / 1000
    const e = (r.start_ms + r.e2e_ms) / 1000
    busy += Math.max(0, Math.min(e, w.end) - Math.max(s, w.start))
  }
  return busy / (w.end - w.start)
}

/**
 * The energy domains to add up, as timeline column keys. With GPUs, only the GPUs: ML.ENERGY's
 * energy is GPU energy. Without, every domain the probes count in their totals (RAPL's core and
 * uncore sit inside their package and are left out, as the run's own total leaves them out).
 */
export function energyDomains(p: RawProcessResult): string[] {
  if (p.devices.length > 0) return p.devices.map((d) => `${d.probe}:${d.domain}`)
  const probes = isRecord(p.environment?.probes) ? p.environment.probes : {}
  const rapl = isRecord(probes.rapl) && Array.isArray(probes.rapl.zones) ? (probes.rapl.zones as Array<Record<string, unknown>>) : []
  const uncounted = new Set(rapl.filter((z) => z.counted_in_totals === false).map((z) => `rapl:${String(z.id)}`))
  return Object.keys(p.energy_per_device_j).filter((k) => !uncounted.has(k))
}

/**
 * Cumulative energy per column of a timeline CSV, keyed by domain (the `energy_j:` prefix removed).
 * A timeline sampled every 10 ms for ten minutes has 60,000 rows: plain loops over arrays, no
 * closure or map lookup per cell.
 */
export function parseTimeline(csv: string, domains: readonly string[]): { t: number[]; energy: Map<string, number[]> } {
  const lines = csv.split('\n')
  let first = 0
  while (first < lines.length && lines[first].length === 0) first++
  const header = (lines[first] ?? '').split(',')
  const cols = domains.map((d) => header.indexOf(`energy_j:${d}`))
  const t: number[] = []
  const series = domains.map(() => [] as number[])
  for (let i = first + 1; i < lines.length; i++) {
    if (lines[i].length === 0) continue
    const cells = lines[i].split(',')
    t.push(Number(cells[0]))
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k]
      series[k].push(c < 0 || cells[c] === '' ? NaN : Number(cells[c]))
    }
  }
  return { t, energy: new Map(domains.map((d, k) => [d, series[k]])) }
}

/** Linear interpolation of a cumulative counter at `at`; null outside the samples or with no readings around it. */
export function cumulativeAt(t: readonly number[], e: readonly number[], at: number): number | null {
  let prev = -1
  for (let i = 0; i < t.length; i++) {
    if (!Number.isFinite(e[i])) continue
    if (t[i] >= at) {
      if (t[i] === at) return e[i]
      if (prev < 0) return null
      return e[prev] + ((e[i] - e[prev]) * (at - t[prev])) / (t[i] - t[prev])
    }
    prev = i
  }
  return null
}

export interface SteadyState {
  duration: number
  energy: number
  tokens: number
  energyPerToken: number | null
  /** W: each process's window energy over its own duration, added up */
  power: number
  avgBatchSize: number
}

/**
 * The steady state of a whole experiment. With several processes (data parallel) each has its own
 * window and timeline: energies, tokens and powers add up, the duration is the shortest window (every
 * process must be steady for that long) and the batch size is the mean over processes.
 */
export async function mlEnergySteadyState(result: AggregatedResult, runDir: string, maxNumSeqs: number): Promise<{ steady: SteadyState | null; reason: string | null }> {
  const parts: SteadyState[] = []
  for (const p of result.process_results) {
    const n = p.requests.length
    const w = mlEnergyWindow(p.requests, maxNumSeqs)
    if (!w) return { steady: null, reason: `no steady state by ML.ENERGY's rule: ${n} requests with max_num_seqs ${maxNumSeqs} (the ${maxNumSeqs}th first token must come before the ${n - maxNumSeqs - 1}th finish)` }
    const domains = energyDomains(p)
    if (p.timeseries_path === null || domains.length === 0) return { steady: null, reason: 'no power timeline or no energy domain was recorded' }
    let csv: string
    try {
      // one call instead of four thread-pool round trips (see html/timeline.ts): a thousand of these per report
      csv = readFileSync(path.resolve(runDir, p.timeseries_path), 'utf8')
    } catch {
      return { steady: null, reason: `power timeline ${p.timeseries_path} not found in ${runDir}` }
    }
    const tl = parseTimeline(csv, domains)
    let energy = 0
    for (const d of domains) {
      const e = tl.energy.get(d)!
      const a = cumulativeAt(tl.t, e, w.start)
      const b = cumulativeAt(tl.t, e, w.end)
      if (a === null || b === null) return { steady: null, reason: `the power timeline does not cover the steady state for ${d}` }
      energy += b - a
    }
    const tokens = tokensIn(p, w)
    parts.push({ duration: w.end - w.start, energy, tokens, energyPerToken: null, power: energy / (w.end - w.start), avgBatchSize: engineBatch(p) ?? meanInFlight(p.requests, w) })
  }
  if (parts.length === 0) return { steady: null, reason: 'no measured process' }
  const energy = parts.reduce((a, s) => a + s.energy, 0)
  const tokens = parts.reduce((a, s) => a + s.tokens, 0)
  return {
    steady: {
      duration: minOf(parts.map((s) => s.duration)),
      energy,
      tokens,
      energyPerToken: tokens > 0 ? energy / tokens : null,
      power: parts.reduce((a, s) => a + s.power, 0),
      avgBatchSize: parts.reduce((a, s) => a + s.avgBatchSize, 0) / parts.length,
    },
    reason: null,
  }
}

/** The engine's own running-request count (vLLM's num_requests_running, as ML.ENERGY reads it) when
 *  llem scraped it; requests in flight at the client also count the engine's queue. */
function engineBatch(p: { extended_metrics: { server?: Record<string, unknown> | null } | null }): number | null {
  const v = p.extended_metrics?.server?.avg_running_requests
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}
