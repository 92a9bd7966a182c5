/**
 * Summary statistics for per-request and per-iteration samples (latency, joules, ...).
 *
 * Percentiles use linear interpolation between closest ranks (numpy's default,
 * `method='linear'`) so numbers can be checked against a notebook. Non-finite samples
 * are the caller's job to drop: they would silently poison every statistic here.
 */
import { createRng } from '../workload/random.js'

export interface SampleSummary {
  count: number
  mean: number
  median: number
  p90: number
  p95: number
  p99: number
  min: number
  max: number
  /** sample standard deviation (n - 1); 0 for a single sample */
  std: number
}

/**
 * The p-th percentile (p in [0, 100]). Accepts unsorted input and never mutates it;
 * already-sorted input skips the copy and sort, since summarise calls this repeatedly.
 * Throws on an empty list because there is no honest number to return.
 */
export function percentile(sortedOrUnsorted: ArrayLike<number>, p: number): number {
  if (sortedOrUnsorted.length === 0) throw new RangeError('percentile of an empty sample')
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`)
  const xs = isSorted(sortedOrUnsorted) ? sortedOrUnsorted : sortAscending(sortedOrUnsorted)
  const rank = (p / 100) * (xs.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  if (lo === hi) return xs[lo]
  return xs[lo] + (xs[hi] - xs[lo]) * (rank - lo)
}

/** count/mean/median/tail percentiles/min/max/std, or null when there are no samples. */
export function summarise(samples: readonly number[]): SampleSummary | null {
  if (samples.length === 0) return null
  const xs = sortAscending(samples)
  const count = xs.length
  const mean = meanOf(xs)
  return {
    count,
    mean,
    median: percentile(xs, 50),
    p90: percentile(xs, 90),
    p95: percentile(xs, 95),
    p99: percentile(xs, 99),
    min: xs[0],
    max: xs[count - 1],
    std: sampleStd(xs, mean),
  }
}

/**
 * std / mean: how noisy repeated measurements are, independent of their unit.
 * null when it is meaningless (fewer than two samples, or a zero mean).
 */
export function coefficientOfVariation(samples: readonly number[]): number | null {
  if (samples.length < 2) return null
  const mean = meanOf(samples)
  if (mean === 0) return null
  return sampleStd(samples, mean) / mean
}

export interface BootstrapOptions {
  /** number of resamples; default 1000 */
  resamples?: number
  /** confidence level in (0, 1); default 0.95 */
  confidence?: number
  /** PRNG seed so the interval is reproducible; default 0 */
  seed?: number
}

export interface ConfidenceInterval {
  lower: number
  upper: number
  /** the statistic on the original sample */
  point: number
}

/**
 * Percentile bootstrap CI for any statistic, for large skewed samples (hundreds of latencies) where
 * the statistic is a median or a percentile. null for an empty sample. Not for a handful of values:
 * the bootstrap cannot see variation beyond the values it has, so its intervals are too narrow at
 * small n (a nominal 95% for the mean covers about 50/76/83/91% at n = 2/3/5/10 on normal data).
 * Means of a few repeats use studentTMeanInterval (stats/student-t.ts).
 */
export function bootstrapCI(
  samples: readonly number[],
  stat: (xs: number[]) => number,
  options: BootstrapOptions = {},
): ConfidenceInterval | null {
  const { resamples = 1000, confidence = 0.95, seed = 0 } = options
  if (samples.length === 0) return null
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`)
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be within (0, 1), got ${confidence}`)

  const rng = createRng(seed)
  const n = samples.length
  const stats: number[] = new Array(resamples)
  const resample: number[] = new Array(n)
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) resample[i] = samples[Math.floor(rng() * n)]
    // A fresh copy per call: stat may sort or keep its argument.
    stats[r] = stat(resample.slice())
  }
  stats.sort((a, b) => a - b)
  const tail = ((1 - confidence) / 2) * 100
  return {
    lower: percentile(stats, tail),
    upper: percentile(stats, 100 - tail),
    point: stat([...samples]),
  }
}

function meanOf(xs: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < xs.length; i++) sum += xs[i]
  return sum / xs.length
}

function sampleStd(xs: ArrayLike<number>, mean: number): number {
  if (xs.length < 2) return 0
  let ss = 0
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - mean) * (xs[i] - mean)
  return Math.sqrt(ss / (xs.length - 1))
}

function isSorted(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1] > xs[i]) return false
  return true
}

/** A typed array sorts numbers natively, without a comparator call per comparison: several times
 *  faster on the thousands of latencies an experiment has (NaN, which no measurement is, sorts last). */
function sortAscending(xs: ArrayLike<number>): Float64Array {
  return new Float64Array(xs as ArrayLike<number>).sort()
}
