/** Student's t quantiles and p-values, the t interval for a mean, Welch's test: against tables and closed forms. */
import { describe, expect, it } from 'vitest'
import { studentTCdf, studentTMeanInterval, studentTQuantile, studentTTwoSidedP, welchTTest } from '../core/stats/student-t.js'

// closed-form CDFs: df = 2: 1/2 + t / (2√(2 + t²)); df = 4: 1/2 + (3/8) (t/√(1 + x)) (1 - x / (3(1 + x))), x = t²/4
const cdf2 = (t: number) => 0.5 + t / (2 * Math.sqrt(2 + t * t))
const cdf4 = (t: number) => {
  const x = (t * t) / 4
  return 0.5 + (3 / 8) * (t / Math.sqrt(1 + x)) * (1 - x / (3 * (1 + x)))
}

describe('Student t quantile', () => {
  it('matches the printed table to 6 decimals', () => {
    const table: Array<[number, number, number]> = [
      [0.975, 1, 12.706205],
      [0.975, 2, 4.302653],
      [0.975, 4, 2.776445],
      [0.975, 9, 2.262157],
      [0.95, 5, 2.015048],
      [0.995, 30, 2.749996],
      [0.975, 120, 1.979930],
    ]
    for (const [p, df, t] of table) expect([p, df, studentTQuantile(p, df)]).toEqual([p, df, expect.closeTo(t, 6)])
  })

  it('is symmetric, zero at the median, and refuses impossible arguments', () => {
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776445, 6)
    expect(studentTQuantile(0.5, 3)).toBe(0)
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError)
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError)
  })
})

describe('Student t CDF and p-value', () => {
  it('agree with the closed forms for 2 and 4 degrees of freedom, fractional t included', () => {
    for (const t of [0.1, 0.7, 1.5, 3.674, 9.2]) {
      expect(studentTCdf(t, 2)).toBeCloseTo(cdf2(t), 12)
      expect(studentTCdf(-t, 4)).toBeCloseTo(1 - cdf4(t), 12)
      expect(studentTTwoSidedP(t, 4)).toBeCloseTo(2 * (1 - cdf4(t)), 12)
    }
  })
})

describe('t interval for a mean', () => {
  it('is mean ± t(0.975, n-1) s/√n, by hand', () => {
    // 10, 12, 14: mean 12, s = 2, s/√3 = 1.154701; t(0.975, 2) = 4.302653 -> ±4.968275
    const ci = studentTMeanInterval([10, 12, 14])!
    expect(ci.mean).toBe(12)
    expect(ci.lower).toBeCloseTo(12 - 4.968275, 5)
    expect(ci.upper).toBeCloseTo(12 + 4.968275, 5)
    expect([ci.df, ci.method]).toEqual([2, 'student_t'])
  })

  it('needs two values; identical values give a zero-width interval', () => {
    expect(studentTMeanInterval([5])).toBeNull()
    expect(studentTMeanInterval([5, 5, 5])).toMatchObject({ lower: 5, upper: 5 })
  })
})

describe("Welch's t-test", () => {
  it('1,2,3 against 4,5,6: t = 3/√(2/3), df = 4, p from the df = 4 closed form', () => {
    const w = welchTTest([1, 2, 3], [4, 5, 6])!
    const t = 3 / Math.sqrt(2 / 3)
    expect(w.t).toBeCloseTo(t, 12)
    expect(w.df).toBeCloseTo(4, 12)
    expect(w.p_value).toBeCloseTo(2 * (1 - cdf4(t)), 12)
    expect(w.p_value).toBeCloseTo(0.0213, 4)
  })

  it('unequal variances: the Welch–Satterthwaite df, by hand', () => {
    // 1,2,3: mean 2, var 1; 10,14,18,10,18: mean 14, var 64/4 = 16; (1/3 + 16/5)² / ((1/3)²/2 + (16/5)²/4) = 12.4844 / 2.6156 = 4.7731
    const w = welchTTest([1, 2, 3], [10, 14, 18, 10, 18])!
    expect(w.df).toBeCloseTo((1 / 3 + 16 / 5) ** 2 / ((1 / 3) ** 2 / 2 + (16 / 5) ** 2 / 4), 12)
    expect(w.t).toBeCloseTo((14 - 2) / Math.sqrt(1 / 3 + 16 / 5), 12)
  })

  it('needs two values a side; with no spread on either side equal means are p = 1, different ones p = 0', () => {
    expect(welchTTest([1], [2, 3])).toBeNull()
    expect(welchTTest([2, 2], [2, 2, 2])!.p_value).toBe(1)
    expect(welchTTest([2, 2], [3, 3])!.p_value).toBe(0)
  })
})
