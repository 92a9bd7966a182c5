/**
 * The probe timeline: every `intervalMs`, cumulative energy per domain and instant readings from each
 * probe, plus this process's RSS. Reading counters often is also what keeps RAPL wraparound safe.
 */
import { performance } from 'node:perf_hooks'
import type { ProbeSession } from '../probes/types.js'
import { percentile } from '../stats/summary.js'
import { alignedSnapshot } from './aligned-edge.js'
import { readSnapshot, type EnergySnapshot } from './probe-set.js'

export interface TimelineRow {
  t: number
  values: Record<string, number>
  /** the window's first or closing read (not a timer's sample: the closing one comes when the load ends) */
  edge?: 'start' | 'end'
}

/** how early a precise sampler's timer fires: the rest is slept on a futex, finer than a timer's 1 ms */
const PRECISE_MARGIN_MS = 2
const SLEEPER = new Int32Array(new SharedArrayBuffer(4))

export class Timeline {
  readonly energy: EnergySnapshot[] = []
  readonly rows: TimelineRow[] = []
  private timer: NodeJS.Timeout | undefined
  peakRssMb = 0
  /** the first probe failure (a GPU lost mid-run): sampling stops, the session fails the experiment */
  error: string | null = null

  constructor(
    private readonly sessions: ProbeSession[],
    private readonly onError: (message: string) => void = () => {},
  ) {}

  tick(edge?: 'start' | 'end'): EnergySnapshot | null {
    if (this.error) return null
    try {
      return this.read(edge)
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e)
      clearInterval(this.timer)
      this.onError(this.error)
      return null
    }
  }

  /** `edge`: the window's first or closing read: counters read in step with their updates
   *  (aligned-edge.ts), no cached counter, no slow column skipped */
  private read(edge?: 'start' | 'end'): EnergySnapshot {
    const snap = edge ? alignedSnapshot(this.sessions, edge) : readSnapshot(this.sessions)
    const t = snap.t
    const values: Record<string, number> = {}
    for (const s of this.sessions) Object.assign(values, s.sample(edge ? { full: true } : undefined))
    const rss = process.memoryUsage.rss() / 1048576
    values.process_rss_mb = rss
    if (rss > this.peakRssMb) this.peakRssMb = rss
    this.energy.push(snap)
    this.rows.push(edge ? { t, values, edge } : { t, values })
    return snap
  }

  /**
   * `precise`: samples at origin + k x intervalMs, each timer set to fire a little early and the rest
   * slept (Atomics.wait) to the target, for a thread that does nothing but sample (sampler-thread.ts).
   * On the event loop a plain interval timer: sleeping there would hold up the client.
   */
  start(intervalMs: number, opts: { precise?: boolean } = {}): EnergySnapshot {
    const first = this.read('start')
    // on a grid from the window's start: an aligned first read spins up to a few counter periods, and
    // the first sample is the first target after it, not an interval after the spin
    if (opts.precise) this.scheduleAt(first.t, intervalMs, Math.max(1, Math.ceil((performance.now() - first.t) / intervalMs)))
    else {
      this.timer = setInterval(() => this.tick(), intervalMs)
      this.timer.unref?.()
    }
    return first
  }

  private scheduleAt(origin: number, intervalMs: number, k: number): void {
    const target = origin + k * intervalMs
    this.timer = setTimeout(() => {
      const rest = target - performance.now()
      if (rest > 0) Atomics.wait(SLEEPER, 0, 0, rest)
      if (this.tick() === null) return
      // behind its schedule (the machine short of CPU): on to the next target ahead, no burst of reads
      this.scheduleAt(origin, intervalMs, Math.max(k + 1, Math.ceil((performance.now() - origin) / intervalMs)))
    }, Math.max(0, target - performance.now() - PRECISE_MARGIN_MS))
    this.timer.unref?.()
  }

  /** the closing snapshot; the last good one when a probe failed (the session then fails anyway) */
  stop(): EnergySnapshot {
    clearInterval(this.timer)
    return this.tick('end') ?? this.energy[this.energy.length - 1]
  }

  /** caveats of the probe instances that read the window, beyond the sessions' own (a sampler thread's) */
  threadWarnings: string[] = []

  /** the sessions as the window's metrics must see them (here the ones that read it) */
  windowSessions(sessions: ProbeSession[]): ProbeSession[] {
    return sessions
  }

  /** frees what sampling held (a sampler thread and its probe instances) */
  async close(): Promise<void> {}

  /** CSV with t relative to `origin` (seconds), cumulative energy per domain and instant readings. */
  toCsv(origin: number): string {
    const energyKeys = [...new Set(this.energy.flatMap((e) => Object.keys(e.domains)))]
    const valueKeys = [...new Set(this.rows.flatMap((r) => Object.keys(r.values)))]
    const header = ['t_sec', ...energyKeys.map((k) => `energy_j:${k}`), ...valueKeys]
    const lines = [header.join(',')]
    this.rows.forEach((row, i) => {
      const e = this.energy[i]
      const cells = [((row.t - origin) / 1000).toFixed(4), ...energyKeys.map((k) => fmt(e.domains[k]?.energy_j)), ...valueKeys.map((k) => fmt(row.values[k]))]
      lines.push(cells.join(','))
    })
    return lines.join('\n') + '\n'
  }
}

function fmt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : String(Math.round(v * 1e6) / 1e6)
}

/**
 * How far the sampler strayed from its interval: p99 of |gap - intervalMs| over consecutive rows (ms),
 * null under two rows. A timer on the event loop shares it with the load's client, so a busy client
 * makes samples late; on its own thread (sampler-thread.ts) only the machine's scheduling does. This
 * says by how much, for the result's methodology.
 */
export function sampleJitterP99(rows: readonly TimelineRow[], intervalMs: number): number | null {
  const timed = timerRows(rows)
  if (timed.length < 2) return null
  const dev = new Float64Array(timed.length - 1)
  for (let i = 1; i < timed.length; i++) dev[i - 1] = Math.abs(timed[i].t - timed[i - 1].t - intervalMs)
  return percentile(dev, 99)
}

/**
 * The longest gap between consecutive timer samples (ms), null under two. A p99 over a long window
 * hides one stall (a 200 ms gap among 1,000 is past the 99th percentile), yet over that gap integrated
 * power is a straight line between two readings: the result reports it, and warns when it is long.
 */
export function longestSampleGap(rows: readonly TimelineRow[]): number | null {
  const timed = timerRows(rows)
  if (timed.length < 2) return null
  let longest = 0
  for (let i = 1; i < timed.length; i++) longest = Math.max(longest, timed[i].t - timed[i - 1].t)
  return longest
}

/** the gap to the closing read is the load's end, not the timer's: not the sampler's (a window shorter
 *  than one interval has no timer gap at all, and no jitter or gap to report) */
function timerRows(rows: readonly TimelineRow[]): readonly TimelineRow[] {
  return rows.length > 0 && rows[rows.length - 1].edge === 'end' ? rows.slice(0, -1) : rows
}
