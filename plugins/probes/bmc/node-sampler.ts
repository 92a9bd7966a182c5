/**
 * Whole-node power from a BMC, read in the background. A BMC answers over the network (Redfish) or
 * through a child process (ipmitool) in tens to hundreds of milliseconds and refreshes its own reading
 * about once a second, so it cannot be read at every 10 ms timeline sample nor at a window's edge: it
 * is polled on its own timer at the BMC's interval, one request at a time, and every read the harness
 * makes (readEnergy, sample) returns at once from what the last answers said.
 *
 * Energy, per domain, since the first reading:
 * - counter (the BMC's own energy total, Redfish EnergykWh / EnergyJoules): the counter's rise since
 *   the first reading, plus the last power times the time since the last reading;
 * - integrated_power: the trapezoid of the power readings, plus the same bridge after the last one.
 * A reading is dated at the midpoint of its request (the BMC answered somewhere inside it). The bridge
 * is held for at most `maxBridgeReadings` intervals: past that the BMC is not answering, nothing more
 * is added, and coverage() says the window is not covered.
 */
import { performance } from 'node:perf_hooks'
import type { EnergyDomainReading, EnergyMethod } from 'llem/plugin/runtime'

export interface NodeReading {
  power_w: number
  /** the BMC's own cumulative energy (J), when it keeps one */
  counter_j: number | null
}

export interface NodeSamplerOptions {
  domain: string
  intervalMs: number
  read: () => Promise<NodeReading>
  /** how many intervals without an answer are bridged with the last power (default 3) */
  maxBridgeReadings?: number
  now?: () => number
}

interface Timed extends NodeReading {
  t: number
}

/** the domain id suffix of a counter node's integrated power readings */
export const INTEGRATED_SUFFIX = '#power'

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`

export class NodeSampler {
  readonly domain: string
  readonly intervalMs: number
  /** 'counter' when the first reading carried the BMC's energy counter */
  method: EnergyMethod = 'integrated_power'
  private readonly read: () => Promise<NodeReading>
  private readonly now: () => number
  private readonly maxBridgeMs: number
  private first: Timed | null = null
  private last: Timed | null = null
  private integratedJ = 0
  /** counter rise since the first reading, resets folded in */
  private counterRiseJ = 0
  private counterResets = 0
  private smallestStepJ: number | null = null
  /** pairs of readings between which the counter did not move / moved */
  private counterStalls = 0
  private counterMoves = 0
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | null = null
  private stopped = false
  /** spans (ms, performance clock) where no answer came for longer than the bridge */
  private readonly gaps: { from: number; to: number | null }[] = []
  readings = 0
  failures = 0
  lastError: string | null = null
  private rttSumMs = 0
  maxRttMs = 0
  private counterLost = 0

  constructor(opts: NodeSamplerOptions) {
    this.domain = opts.domain
    this.intervalMs = opts.intervalMs
    this.read = opts.read
    this.now = opts.now ?? (() => performance.now())
    this.maxBridgeMs = (opts.maxBridgeReadings ?? 3) * opts.intervalMs
  }

  /** Takes the first reading (a failure throws: the probe does not open) and starts the timer. */
  async start(): Promise<void> {
    await this.poll(true)
    const tick = () => {
      if (this.stopped) return
      this.inFlight = this.poll(false).finally(() => {
        this.inFlight = null
        if (!this.stopped) {
          this.timer = setTimeout(tick, this.intervalMs)
          this.timer.unref?.()
        }
      })
    }
    this.timer = setTimeout(tick, this.intervalMs)
    this.timer.unref?.()
  }

  private async poll(firstRead: boolean): Promise<void> {
    const t0 = this.now()
    let r: NodeReading
    try {
      r = await this.read()
    } catch (e) {
      if (firstRead) throw e
      this.failures++
      this.lastError = e instanceof Error ? e.message : String(e)
      this.noteGap(this.now())
      return
    }
    const t1 = this.now()
    const rtt = t1 - t0
    this.rttSumMs += rtt
    if (rtt > this.maxRttMs) this.maxRttMs = rtt
    this.add({ ...r, t: (t0 + t1) / 2 })
  }

  /** Folds one reading in (exposed for tests that feed readings at chosen times). */
  add(r: Timed): void {
    this.readings++
    const prev = this.last
    if (!prev) {
      this.first = r
      this.method = r.counter_j !== null ? 'counter' : 'integrated_power'
      this.last = r
      return
    }
    if (r.t <= prev.t) return
    this.integratedJ += ((r.power_w + prev.power_w) / 2) * ((r.t - prev.t) / 1000)
    if (this.method === 'counter') {
      if (r.counter_j === null || prev.counter_j === null) this.counterLost++
      else {
        const step = r.counter_j - prev.counter_j
        if (step < 0) this.counterResets++ // the BMC reset its total: the rise up to then is kept
        else if (step === 0) this.counterStalls++
        else {
          this.counterRiseJ += step
          this.counterMoves++
          if (this.smallestStepJ === null || step < this.smallestStepJ) this.smallestStepJ = step
        }
      }
    }
    const open = this.gaps[this.gaps.length - 1]
    if (open && open.to === null) open.to = r.t
    else if (r.t - prev.t > this.maxBridgeMs) this.gaps.push({ from: prev.t + this.maxBridgeMs, to: r.t })
    this.last = r.counter_j === null && prev.counter_j !== null ? { ...r, counter_j: prev.counter_j } : r
  }

  private noteGap(t: number): void {
    const last = this.last
    if (!last || t - last.t <= this.maxBridgeMs) return
    const open = this.gaps[this.gaps.length - 1]
    if (!open || open.to !== null) this.gaps.push({ from: last.t + this.maxBridgeMs, to: null })
  }

  /** Joules since the first reading, as known at t (the bridge past the last reading included), from
   *  the counter (when the BMC keeps one) or the integrated power readings. */
  energyAt(t: number = this.now(), from: EnergyMethod = this.method): number {
    const last = this.last
    if (!last) return 0
    const bridgeMs = Math.min(Math.max(0, t - last.t), this.maxBridgeMs)
    const base = from === 'counter' ? this.counterRiseJ : this.integratedJ
    return base + last.power_w * (bridgeMs / 1000)
  }

  /**
   * The node's domain; with a counter, also the integrated power readings as a second domain marked
   * contained in the first (a copy, never added): where the counter is too coarse for a window, the
   * results fall back to it (core/measure/node-energy.ts).
   */
  domains(): EnergyDomainReading[] {
    const t = this.now()
    const main: EnergyDomainReading = { domain: this.domain, kind: 'node', energy_j: this.energyAt(t), method: this.method }
    if (this.method !== 'counter') return [main]
    return [main, { domain: `${this.domain}${INTEGRATED_SUFFIX}`, kind: 'node', energy_j: this.energyAt(t, 'integrated_power'), method: 'integrated_power', contained_in: this.domain }]
  }

  /** the power in force now (the last reading), null before the first */
  powerW(): number | null {
    return this.last?.power_w ?? null
  }

  /**
   * The counter's step (J) where it is coarser than a poll: when it stood still between some readings
   * and moved between others, its smallest rise is (at most) its resolution. null when it moved at
   * every poll (finer than power x interval: no step to speak of) or never moved.
   */
  counterStepJ(): number | null {
    return this.counterStalls > 0 ? this.smallestStepJ : null
  }

  /** whether the BMC's counter rose at all since the first reading */
  counterMoved(): boolean {
    return this.counterMoves > 0
  }

  meanRttMs(): number | null {
    return this.readings > 0 ? this.rttSumMs / this.readings : null
  }

  coverage(t0: number, t1: number): string | null {
    const now = this.now()
    if (this.last && now - this.last.t > this.maxBridgeMs) this.noteGap(now)
    for (const g of this.gaps) {
      const to = g.to ?? Infinity
      if (g.from < t1 && to > t0) return `the BMC gave no reading for ${((Math.min(to, now) - g.from + this.maxBridgeMs) / 1000).toFixed(1)} s inside the window (longer than the ${this.maxBridgeMs / this.intervalMs} intervals bridged with the last power${this.lastError ? `; last error: ${this.lastError}` : ''})`
    }
    return null
  }

  warnings(label: string): string[] {
    const out: string[] = []
    if (this.failures > 0) out.push(`${label}: ${plural(this.failures, 'failed read')} (last: ${this.lastError}); the readings around them were bridged with the last power`)
    if (this.counterResets > 0) out.push(`${label}: the BMC's energy counter went backwards ${plural(this.counterResets, 'time')}: the energy counted before each reset was kept, what was drawn between the last reading and the reset is lost`)
    if (this.counterLost > 0) out.push(`${label}: ${plural(this.counterLost, 'reading')} came without the energy counter: the counter's rise over those intervals is counted from the next reading that has it`)
    const mean = this.meanRttMs()
    if (mean !== null && mean > this.intervalMs / 2) out.push(`${label}: the BMC took ${mean.toFixed(0)} ms on average to answer (at most ${this.maxRttMs.toFixed(0)} ms), over half its ${this.intervalMs} ms polling interval: readings are dated to within half that`)
    return out
  }

  /** Stops the timer and waits for a request in flight, so nothing reads after close. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.inFlight?.catch(() => {})
  }
}
