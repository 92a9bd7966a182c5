/**
 * Over-saturation of an open-loop load: requests arrive faster than the server finishes them, so the
 * backlog and the time to first token grow without bound and a longer window only measures a longer
 * queue. The rule, judged during the window (docs/methodology.md#over-saturation):
 *
 *   every windowSec/4 seconds, once windowSec seconds of load have passed, over the last windowSec s:
 *   (a) the outstanding requests (arrived by the schedule and not finished: waiting in the client
 *       for a slot under load.concurrency, or sent and unanswered) grew: the least-squares slope of
 *       their count, sampled 20 times per window, is positive and rises across the window by at least
 *       max(2, 10% of the window's arrivals);
 *   (b) TTFT counted from arrival grew: the least-squares slope of the TTFTs of the requests whose
 *       first token came in the window, against their arrival times, is positive and rises across
 *       their arrivals by at least 25% of their median TTFT (at least 4 of them), or no first token
 *       came in the whole window while requests were outstanding;
 *   both at two checks in a row. Then the load stops sending: arrivals not yet sent are dropped (and
 *   counted), requests in flight finish, and the result is marked over_saturated.
 */
import { performance } from 'node:perf_hooks'
import { maxOf, minOf } from '../stats/extent.js'

export interface SaturationVerdict {
  over_saturated: boolean
  window_sec: number
  /** seconds from the start of the measured window to the check that stopped the load (null: none did) */
  detected_at_sec: number | null
  /** at the last check: the outstanding requests' growth (requests/s) and TTFT's growth (ms per s of arrivals) */
  queue_growth_per_sec: number | null
  ttft_growth_ms_per_sec: number | null
  checks: number
  /** arrivals due before the stop that were never sent */
  dropped_unsent: number
}

/** the rule's thresholds, named so docs and code say the same */
export const SATURATION_RULE = { samplesPerWindow: 20, checksPerWindow: 4, minQueueRise: 2, queueRiseShare: 0.1, ttftRiseShare: 0.25, minTtftSamples: 4, checksInARow: 2 }

/** least-squares slope of y on x; null with fewer than 2 distinct x */
export function slope(xs: number[], ys: number[]): number | null {
  const n = xs.length
  if (n < 2) return null
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2
    sxy += (xs[i] - mx) * (ys[i] - my)
  }
  return sxx > 0 ? sxy / sxx : null
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Watches one open-loop load; times are performance.now() values (ms). */
export class SaturationWatch {
  private readonly windowMs: number
  private readonly from: number
  private arrivals: number[] = []
  private finished = 0
  private sent = 0
  private samples: { t: number; q: number }[] = []
  private ttfts: { arrival: number; ttft: number; at: number }[] = []
  private inARow = 0
  private checks = 0
  private last = { queue: null as number | null, ttft: null as number | null }
  private detectedAt: number | null = null
  private timer: NodeJS.Timeout | null = null
  private tick = 0

  /** `from`: when judging may start (the window's start, after any ramp-up) */
  constructor(windowSec: number, from: number, private readonly windowStart: number, private readonly onSaturated: () => void) {
    this.windowMs = windowSec * 1000
    this.from = from
  }

  start(): void {
    const every = Math.max(10, this.windowMs / SATURATION_RULE.samplesPerWindow)
    const perCheck = SATURATION_RULE.samplesPerWindow / SATURATION_RULE.checksPerWindow
    this.timer = setInterval(() => {
      const now = performance.now()
      this.samples.push({ t: now, q: this.arrived(now) - this.finished })
      if (++this.tick % perCheck === 0) this.check(now)
    }, every)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** scheduled send times, in order */
  addArrivals(times: number[]): void {
    for (const t of times) this.arrivals.push(t)
  }
  noteSent(): void {
    this.sent++
  }
  noteFirstToken(arrival: number, at: number): void {
    this.ttfts.push({ arrival, ttft: at - arrival, at })
  }
  noteFinished(): void {
    this.finished++
  }
  get saturated(): boolean {
    return this.detectedAt !== null
  }

  private arrived(t: number): number {
    let lo = 0
    let hi = this.arrivals.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.arrivals[mid] <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private check(now: number): void {
    if (this.detectedAt !== null || now - this.from < this.windowMs) return
    this.checks++
    const lo = now - this.windowMs
    const qs = this.samples.filter((s) => s.t >= lo)
    const qSlope = slope(qs.map((s) => s.t / 1000), qs.map((s) => s.q))
    const arrivals = this.arrived(now) - this.arrived(lo)
    const queueRise = qSlope === null ? 0 : qSlope * (this.windowMs / 1000)
    const queueGrows = qSlope !== null && qSlope > 0 && queueRise >= Math.max(SATURATION_RULE.minQueueRise, SATURATION_RULE.queueRiseShare * arrivals)
    const firsts = this.ttfts.filter((f) => f.at >= lo)
    let ttftGrows: boolean
    let tSlope: number | null = null
    if (firsts.length === 0) ttftGrows = qs.length > 0 && qs.every((s) => s.q > 0)
    else {
      tSlope = slope(firsts.map((f) => f.arrival / 1000), firsts.map((f) => f.ttft))
      const span = (maxOf(firsts.map((f) => f.arrival)) - minOf(firsts.map((f) => f.arrival))) / 1000
      ttftGrows = firsts.length >= SATURATION_RULE.minTtftSamples && tSlope !== null && tSlope > 0 && tSlope * span >= SATURATION_RULE.ttftRiseShare * median(firsts.map((f) => f.ttft))
    }
    this.last = { queue: qSlope, ttft: tSlope }
    this.inARow = queueGrows && ttftGrows ? this.inARow + 1 : 0
    if (this.inARow >= SATURATION_RULE.checksInARow) {
      this.detectedAt = now
      this.stop()
      this.onSaturated()
    }
    // only the last window is ever looked at
    this.samples = this.samples.filter((s) => s.t >= lo)
    this.ttfts = this.ttfts.filter((f) => f.at >= lo)
  }

  verdict(): SaturationVerdict {
    const stopAt = this.detectedAt
    return {
      over_saturated: stopAt !== null,
      window_sec: this.windowMs / 1000,
      detected_at_sec: stopAt === null ? null : (stopAt - this.windowStart) / 1000,
      queue_growth_per_sec: this.last.queue,
      ttft_growth_ms_per_sec: this.last.ttft,
      checks: this.checks,
      dropped_unsent: stopAt === null ? 0 : Math.max(0, this.arrived(stopAt) - this.sent),
    }
  }
}
