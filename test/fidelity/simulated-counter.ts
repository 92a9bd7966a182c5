/**
 * Simulated energy sensors for the error-model calibration: a true power trace whose integral is
 * exact, a sensor that misreads it by a per-device offset and gain, a counter that accumulates the
 * sensor's energy and changes only at its (jittered) updates, floored to its unit, and instant power
 * samples integrated by the trapezoid rule. Deterministic given the seed.
 */

/** Seeded PRNG (SplitMix32 variant): uniform in [0, 1). */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296
  }
}

export function normal(rng: () => number): number {
  // Box-Muller; 1 - u keeps log() away from 0
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
}

export const uniform = (rng: () => number, lo: number, hi: number) => lo + (hi - lo) * rng()
export const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]

/** Piecewise-linear function of time (s) through breakpoints, with an exact running integral. */
export class Trace {
  private readonly cum: Float64Array
  constructor(
    readonly t: readonly number[],
    readonly v: readonly number[],
  ) {
    this.cum = new Float64Array(t.length)
    for (let i = 1; i < t.length; i++) this.cum[i] = this.cum[i - 1] + ((v[i] + v[i - 1]) / 2) * (t[i] - t[i - 1])
  }
  private seg(x: number): number {
    // last breakpoint <= x
    let lo = 0
    let hi = this.t.length - 1
    if (x <= this.t[0]) return 0
    if (x >= this.t[hi]) return hi
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1
      if (this.t[mid] <= x) lo = mid
      else hi = mid
    }
    return lo
  }
  at(x: number): number {
    const i = this.seg(x)
    if (i >= this.t.length - 1) return this.v[this.v.length - 1]
    const f = (x - this.t[i]) / (this.t[i + 1] - this.t[i])
    return this.v[i] + (this.v[i + 1] - this.v[i]) * f
  }
  /** integral from t[0] to x (constant extension past the last breakpoint) */
  integral(x: number): number {
    const i = this.seg(x)
    if (x <= this.t[0]) return 0
    if (i >= this.t.length - 1) return this.cum[i] + this.v[i] * (x - this.t[i])
    return this.cum[i] + ((this.v[i] + this.at(x)) / 2) * (x - this.t[i])
  }
  between(a: number, b: number): number {
    return this.integral(b) - this.integral(a)
  }
}

/**
 * Load as a fraction of full power, driven by requests: Poisson arrivals, exponential durations,
 * fraction = min(1, in flight / concurrency). Each change is a linear ramp of `rampS` (a step when
 * tiny). `idleUntil`: no request starts before this time (a window that opens on an idle GPU).
 */
export function loadTrace(rng: () => number, o: { endS: number; concurrency: number; meanRequestS: number; utilisation: number; rampS: number; idleUntil: number }): Trace {
  const rate = (o.concurrency * o.utilisation) / o.meanRequestS
  const events: [number, number][] = []
  for (let t = o.idleUntil + -Math.log(1 - rng()) / rate; t < o.endS; t += -Math.log(1 - rng()) / rate) {
    events.push([t, 1], [t - Math.log(1 - rng()) * o.meanRequestS, -1])
  }
  events.sort((a, b) => a[0] - b[0])
  const ramp = Math.max(o.rampS, 1e-4)
  const ts = [0]
  const vs = [0]
  let inFlight = 0
  for (let i = 0; i < events.length && events[i][0] < o.endS; i++) {
    const [te, d] = events[i]
    inFlight += d
    const target = Math.min(1, inFlight / o.concurrency)
    // a finished ramp holds its last value; a ramp cut short by this event ends exactly at te
    const from = vs[vs.length - 1]
    if (te > ts[ts.length - 1]) {
      ts.push(te)
      vs.push(from)
    }
    const next = i + 1 < events.length ? events[i + 1][0] : Infinity
    const end = Math.min(te + ramp, next, o.endS)
    ts.push(end)
    vs.push(from + ((target - from) * (end - te)) / ramp)
  }
  ts.push(o.endS + 1)
  vs.push(vs[vs.length - 1])
  return new Trace(ts, vs)
}

/** A device: true power idle + (max - idle) x load; the sensor reads (1 + gain) x power + offset. */
export interface SimDevice {
  idleW: number
  maxW: number
  offsetW: number
  gain: number
  load: Trace
}

export const truePower = (d: SimDevice, t: number) => d.idleW + (d.maxW - d.idleW) * d.load.at(t)
export const trueEnergy = (d: SimDevice, a: number, b: number) => d.idleW * (b - a) + (d.maxW - d.idleW) * d.load.between(a, b)
export const sensorPower = (d: SimDevice, t: number) => (1 + d.gain) * truePower(d, t) + d.offsetW
export const sensorEnergy = (d: SimDevice, a: number, b: number) => (1 + d.gain) * trueEnergy(d, a, b) + d.offsetW * (b - a)

/**
 * Counter values at the read times `reads` (ascending, s). Updates every period x (1 ± jitter);
 * the phase is random. Between reads further apart than 200 periods the accumulated jitter makes
 * the phase uniform, so a fresh random phase stands in for walking every update.
 */
export function counterReads(rng: () => number, d: SimDevice, reads: readonly number[], periodS: number, jitter: number, resolutionJ: number): number[] {
  const step = () => periodS * (1 + jitter * (2 * rng() - 1))
  const out: number[] = []
  let u = reads[0] - rng() * periodS // last update at or before the first read
  for (let k = 0; k < reads.length; k++) {
    const r = reads[k]
    if (k > 0 && r - reads[k - 1] > 200 * periodS) u = r - rng() * periodS
    else for (let n = u + step(); n <= r; n = u + step()) u = n
    // the counter shows the sensor's energy up to its last update, floored to its unit
    out.push(Math.floor(sensorEnergy(d, 0, u) / resolutionJ) * resolutionJ)
  }
  return out
}

/** Timeline ticks: t0, then every interval x (1 ± jitter), then t1. */
export function sampleTimes(rng: () => number, t0: number, t1: number, intervalS: number, jitter: number): number[] {
  const times = [t0]
  for (let t = t0 + intervalS * (1 + jitter * (2 * rng() - 1)); t < t1; t += intervalS * (1 + jitter * (2 * rng() - 1))) times.push(t)
  times.push(t1)
  return times
}

/** Instant power samples at the ticks, and their trapezoid integral (what the probe accumulates). */
export function integratedWindow(d: SimDevice, times: readonly number[]): { energy: number; samples: { t_ms: number; power_w: number }[] } {
  const samples = times.map((t) => ({ t_ms: t * 1000, power_w: sensorPower(d, t) }))
  let energy = 0
  for (let i = 1; i < samples.length; i++) energy += ((samples[i].power_w + samples[i - 1].power_w) / 2) * ((samples[i].t_ms - samples[i - 1].t_ms) / 1000)
  return { energy, samples }
}
