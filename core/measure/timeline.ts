/**
 * The probe timeline: every `intervalMs`, cumulative energy per domain and instant readings from each
 * probe, plus this process's RSS. Reading counters often is also what keeps RAPL wraparound safe.
 */
import { performance } from 'node:perf_hooks'
import type { ProbeSession } from '../probes/types.js'
import { percentile } from '../stats/summary.js'
import { alignedSnapshot } from './aligned-edge.js'
import { snapshotEnergy, type EnergySnapshot } from './probe-set.js'

export interface TimelineRow {
  t: number
  values: Record<string, number>
}

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
    const snap = edge ? alignedSnapshot(this.sessions, edge) : snapshotEnergy(this.sessions, performance.now())
    const t = snap.t
    const values: Record<string, number> = {}
    for (const s of this.sessions) Object.assign(values, s.sample(edge ? { full: true } : undefined))
    const rss = process.memoryUsage.rss() / 1048576
    values.process_rss_mb = rss
    if (rss > this.peakRssMb) this.peakRssMb = rss
    this.energy.push(snap)
    this.rows.push({ t, values })
    return snap
  }

  start(intervalMs: number): EnergySnapshot {
    const first = this.read('start')
    this.timer = setInterval(() => this.tick(), intervalMs)
    this.timer.unref?.()
    return first
  }

  /** the closing snapshot; the last good one when a probe failed (the session then fails anyway) */
  stop(): EnergySnapshot {
    clearInterval(this.timer)
    return this.tick('end') ?? this.energy[this.energy.length - 1]
  }

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
 * null under two rows. The timer shares the event loop with the load's client, so a busy client makes
 * samples late; this says by how much, for the result's methodology.
 */
export function sampleJitterP99(rows: readonly TimelineRow[], intervalMs: number): number | null {
  if (rows.length < 2) return null
  const dev = new Float64Array(rows.length - 1)
  for (let i = 1; i < rows.length; i++) dev[i - 1] = Math.abs(rows[i].t - rows[i - 1].t - intervalMs)
  return percentile(dev, 99)
}
