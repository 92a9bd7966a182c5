/**
 * Request arrival schedules for serving benchmarks.
 *
 * Mirrors vLLM's `bench serve`: inter-arrival gaps are Gamma(shape = burstiness,
 * scale = 1 / (rate * burstiness)) seconds, so the mean gap is always 1 / rate and only
 * the spread changes. burstiness = 1 is a Poisson process (exponential gaps, CV 1);
 * below 1 requests clump together, above 1 they are more evenly spaced
 * (CV = 1 / sqrt(burstiness)).
 */
import { createRng, gamma } from './random.js'

export interface ArrivalOptions {
  /** mean requests per second; Infinity sends everything at once */
  rate: number
  /** gamma shape of the gaps; 1 = Poisson. Default 1. */
  burstiness?: number
  /** PRNG seed; the same seed gives the same schedule. Default 0. */
  seed?: number
}

/**
 * Offsets in milliseconds from the start of the run at which each of `count` requests is
 * sent. The first request goes at 0 (as in vLLM, which sleeps after sending, not before),
 * and the offsets are non-decreasing.
 */
export function arrivalOffsetsMs(count: number, options: ArrivalOptions): number[] {
  const { rate, burstiness = 1, seed = 0 } = options
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`arrival count must be a non-negative integer, got ${count}`)
  if (!(rate > 0)) throw new RangeError(`arrival rate must be > 0 requests/s (or Infinity), got ${rate}`)
  if (!(burstiness > 0) || !Number.isFinite(burstiness)) {
    throw new RangeError(`burstiness must be a positive finite number, got ${burstiness}`)
  }
  if (rate === Infinity) return new Array<number>(count).fill(0)

  const rng = createRng(seed)
  const scaleSeconds = 1 / (rate * burstiness)
  const offsets: number[] = []
  let t = 0
  for (let i = 0; i < count; i++) {
    if (i > 0) t += gamma(rng, burstiness, scaleSeconds) * 1000
    offsets.push(t)
  }
  return offsets
}
