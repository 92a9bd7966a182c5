/**
 * The arithmetic under the energy error model: each error term is an independent, zero-mean random
 * variable described by its variance and its fourth cumulant. Both add across independent terms, so
 * a total keeps its shape as well as its spread.
 *
 * Why the shape matters: counter quantisation is a uniform error, not a normal one. For a uniform
 * error the 95% half-width is 1.645 standard deviations, not 1.96; quoting 1.96 sd for a window whose
 * error is mostly one counter edge would claim far more than 95% coverage, and adding 95%
 * half-widths in quadrature under-covers when several uniform terms sum. The multiplier below is
 * read off the total's excess kurtosis (fourth cumulant / variance²): -1.2 for one uniform, -0.6 for
 * two equal uniforms (triangular), 0 for a normal.
 */

/** Two-sided 95% quantile of the standard normal. */
export const Z95 = 1.959964

export interface Moments {
  /** J² */
  variance: number
  /** fourth cumulant, J⁴: 0 for a normal error, negative for the flatter quantisation errors */
  cumulant4: number
}

export const ZERO: Moments = { variance: 0, cumulant4: 0 }

export function add(a: Moments, b: Moments): Moments {
  return { variance: a.variance + b.variance, cumulant4: a.cumulant4 + b.cumulant4 }
}

/** Scaling the error by f scales the variance by f² and the fourth cumulant by f⁴. */
export function scale(m: Moments, f: number): Moments {
  return { variance: m.variance * f * f, cumulant4: m.cumulant4 * f ** 4 }
}

/** A normal error whose 95% half-width is `halfWidth` (a vendor's ± bound). */
export function normalFromBound(halfWidth: number): Moments {
  return { variance: (halfWidth / Z95) ** 2, cumulant4: 0 }
}

/** A normal error with standard deviation `sd`. */
export function normalFromSd(sd: number): Moments {
  return { variance: sd * sd, cumulant4: 0 }
}

/** A uniform error on [-c, c]: variance c²/3, fourth cumulant -2c⁴/15. */
export function uniformHalfRange(c: number): Moments {
  return { variance: (c * c) / 3, cumulant4: (-2 * c ** 4) / 15 }
}

/**
 * Multiplier k(excess kurtosis): the 95% half-width of |error| in standard deviations, for sums of
 * independent uniform and normal errors. Points computed by numerical convolution (uniform 1.645,
 * uniform + small normal, two unequal uniforms, triangular 1.90, three uniforms, normal 1.96); where
 * different sums share an excess kurtosis, the larger multiplier is kept, so the interval errs wide
 * by at most ~0.03 sd. Linear in between.
 */
const K_TABLE: readonly (readonly [number, number])[] = [
  [-1.2, 0.95 * Math.sqrt(3)], // a uniform: 95% of its range, exactly
  [-1.1, 1.7],
  [-0.95, 1.76],
  [-0.8, 1.84],
  [-0.6, 1.9],
  [-0.4, 1.94],
  [-0.15, 1.95],
  [0, Z95],
]

export function coverageMultiplier(m: Moments): number {
  if (m.variance <= 0) return Z95
  const g2 = m.cumulant4 / (m.variance * m.variance)
  if (g2 <= K_TABLE[0][0]) return K_TABLE[0][1]
  // heavier tails than normal cannot arise from these terms; keep the normal multiplier
  if (g2 >= 0) return Z95
  for (let i = 1; i < K_TABLE.length; i++) {
    const [x1, y1] = K_TABLE[i]
    const [x0, y0] = K_TABLE[i - 1]
    if (g2 <= x1) return y0 + ((y1 - y0) * (g2 - x0)) / (x1 - x0)
  }
  return Z95
}

/** 95% half-width of a zero-mean error with these moments. */
export function halfWidth95(m: Moments): number {
  return m.variance > 0 ? coverageMultiplier(m) * Math.sqrt(m.variance) : 0
}

/**
 * Two-sided 95% Student t quantile for `df` degrees of freedom: a standard error estimated from a
 * few blocks is itself uncertain, and the t quantile pays for that. Tabulated to 30, then the
 * 1.96 + 2.4/df approximation (within 0.002 of the exact value from 30 up).
 */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042]

export function tQuantile975(df: number): number {
  if (!Number.isFinite(df) || df < 1) return Infinity
  const d = Math.floor(df)
  return d <= T975.length ? T975[d - 1] : Z95 + 2.4 / d
}
