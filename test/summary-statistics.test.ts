import { describe, expect, it } from 'vitest'
import { bootstrapCI, coefficientOfVariation, percentile, summarise } from '../core/stats/summary.js'
import { createRng, normal } from '../core/workload/random.js'

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

describe('percentile (numpy linear interpolation)', () => {
  it('matches numpy on known vectors', () => {
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12)
    // np.percentile([15, 20, 35, 40, 50], p)
    const v = [15, 20, 35, 40, 50]
    const expected: Array<[number, number]> = [[0, 15], [5, 16], [30, 23], [40, 29], [50, 35], [90, 46], [95, 48], [99, 49.6], [100, 50]]
    for (const [p, x] of expected) expect(percentile(v, p)).toBeCloseTo(x, 10)
  })

  it('accepts unsorted input without mutating it', () => {
    const w = [3.1, -2, 7.5, 0, 12, 4.4, 9, 1]
    const copy = [...w]
    // np.percentile(w, [10, 25, 50, 75, 90, 99])
    const expected: Array<[number, number]> = [[10, -0.6], [25, 0.75], [50, 3.75], [75, 7.875], [90, 9.9], [99, 11.79]]
    for (const [p, x] of expected) expect(percentile(w, p)).toBeCloseTo(x, 10)
    expect(w).toEqual(copy)
  })

  it('rejects empty input and p outside [0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(RangeError)
    expect(() => percentile([1], 101)).toThrow(RangeError)
    expect(() => percentile([1], -1)).toThrow(RangeError)
  })
})

describe('summarise', () => {
  it('returns null for no samples', () => {
    expect(summarise([])).toBeNull()
  })

  it('summarises a known vector', () => {
    const s = summarise([3.1, -2, 7.5, 0, 12, 4.4, 9, 1])!
    expect(s.count).toBe(8)
    expect(s.mean).toBeCloseTo(4.375, 12)
    expect(s.median).toBeCloseTo(3.75, 12)
    expect(s.p90).toBeCloseTo(9.9, 12)
    expect(s.p95).toBeCloseTo(10.95, 12)
    expect(s.p99).toBeCloseTo(11.79, 12)
    expect(s.min).toBe(-2)
    expect(s.max).toBe(12)
    // np.std(w, ddof=1)
    expect(s.std).toBeCloseTo(4.8121126931347495, 12)
  })

  it('one sample has std 0', () => {
    expect(summarise([5])).toEqual({ count: 1, mean: 5, median: 5, p90: 5, p95: 5, p99: 5, min: 5, max: 5, std: 0 })
  })
})

describe('coefficientOfVariation', () => {
  it('is sample std over mean', () => {
    expect(coefficientOfVariation([3.1, -2, 7.5, 0, 12, 4.4, 9, 1])).toBeCloseTo(1.0999114727165142, 12)
    expect(coefficientOfVariation([2, 4])).toBeCloseTo(Math.SQRT2 / 3, 12)
  })

  it('is null when meaningless', () => {
    expect(coefficientOfVariation([])).toBeNull()
    expect(coefficientOfVariation([4])).toBeNull()
    expect(coefficientOfVariation([-1, 1])).toBeNull()
  })
})

describe('bootstrapCI', () => {
  const rng = createRng(123)
  const sample = Array.from({ length: 200 }, () => 50 + 5 * normal(rng))

  it('brackets the mean of a normal sample with about the textbook width', () => {
    const ci = bootstrapCI(sample, mean)!
    expect(ci.point).toBeCloseTo(mean(sample), 12)
    expect(ci.lower).toBeLessThan(ci.point)
    expect(ci.upper).toBeGreaterThan(ci.point)
    expect(ci.lower).toBeLessThan(50)
    expect(ci.upper).toBeGreaterThan(50)
    // 95% normal interval half-width: 1.96 * s / sqrt(n)
    const s = summarise(sample)!.std
    const halfWidth = (ci.upper - ci.lower) / 2
    expect(halfWidth / ((1.96 * s) / Math.sqrt(sample.length))).toBeGreaterThan(0.85)
    expect(halfWidth / ((1.96 * s) / Math.sqrt(sample.length))).toBeLessThan(1.15)
  })

  it('is deterministic per seed and narrower at lower confidence', () => {
    const a = bootstrapCI(sample, mean, { seed: 5 })
    expect(bootstrapCI(sample, mean, { seed: 5 })).toEqual(a)
    expect(bootstrapCI(sample, mean, { seed: 6 })).not.toEqual(a)
    const narrow = bootstrapCI(sample, mean, { seed: 5, confidence: 0.5 })!
    expect(narrow.upper - narrow.lower).toBeLessThan(a!.upper - a!.lower)
  })

  it('handles degenerate input', () => {
    expect(bootstrapCI([], mean)).toBeNull()
    expect(bootstrapCI([7], mean)).toEqual({ lower: 7, upper: 7, point: 7 })
    expect(() => bootstrapCI([1, 2], mean, { confidence: 1 })).toThrow(RangeError)
  })
})
