/**
 * Ordinary least squares for a handful of regressors: coefficients, their standard errors from the
 * residual variance (s² (XᵀX)⁻¹), Student t 95% half-widths on n - p degrees of freedom, and R².
 * Small and dense on purpose: the fits here have 2 or 3 columns and tens to thousands of rows.
 */
import { studentTQuantile } from './student-t.js'
import { maxOf } from './extent.js'

export interface OlsFit {
  coefficients: number[]
  standardErrors: number[]
  /** 95% half-widths: t(0.975, n - p) x standard error */
  halfWidths95: number[]
  /** 1 - RSS / TSS: TSS about the mean of y when the model has an intercept, about zero when it has
   *  none (the usual R² of a regression through the origin) */
  r2: number
  residualStd: number
  df: number
}

/** Inverse of a small symmetric positive-definite matrix (Gauss-Jordan with partial pivoting); null when singular. */
export function invert(m: number[][]): number[][] | null {
  const n = m.length
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r
    // relative to the column's scale: a pivot that is rounding noise means a singular matrix
    const scale = Math.max(maxOf(m.map((row) => Math.abs(row[c]))), Number.MIN_VALUE)
    if (Math.abs(a[p][c]) <= 1e-12 * scale) return null
    ;[a[c], a[p]] = [a[p], a[c]]
    const d = a[c][c]
    for (let j = 0; j < 2 * n; j++) a[c][j] /= d
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = a[r][c]
      if (f !== 0) for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j]
    }
  }
  return a.map((row) => row.slice(n))
}

/** y ≈ X b. Rows of X are observations; `intercept`: whether a column of X is constant (it decides
 *  how R² is centred). null when XᵀX is singular or there are no residual degrees of freedom. */
export function ols(x: number[][], y: number[], opts: { intercept: boolean } = { intercept: true }): OlsFit | null {
  const n = y.length
  const p = x[0]?.length ?? 0
  if (p === 0 || n <= p) return null
  const xtx = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => x.reduce((s, row) => s + row[i] * row[j], 0)))
  const xty = Array.from({ length: p }, (_, i) => x.reduce((s, row, k) => s + row[i] * y[k], 0))
  const inv = invert(xtx)
  if (!inv) return null
  const b = inv.map((row) => row.reduce((s, v, j) => s + v * xty[j], 0))
  const rss = x.reduce((s, row, k) => s + (y[k] - row.reduce((t, v, j) => t + v * b[j], 0)) ** 2, 0)
  const mean = opts.intercept ? y.reduce((s, v) => s + v, 0) / n : 0
  const tss = y.reduce((s, v) => s + (v - mean) ** 2, 0)
  const df = n - p
  const s2 = rss / df
  const se = inv.map((row, i) => Math.sqrt(Math.max(0, s2 * row[i])))
  const t = studentTQuantile(0.975, df)
  return { coefficients: b, standardErrors: se, halfWidths95: se.map((v) => t * v), r2: tss > 0 ? 1 - rss / tss : 0, residualStd: Math.sqrt(s2), df }
}
