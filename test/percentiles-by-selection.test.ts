// Percentiles by selection (core/stats/select.ts) give numpy's linear percentiles exactly: checked
// against values numpy gives and against a sorted copy, over random sizes, ties and orders.
import { describe, expect, it } from 'vitest'
import { nthSmallestInPlace, percentilesInPlace } from '../core/stats/select.js'

/** numpy.percentile(xs, p) with the default method='linear', from a sorted copy */
function byNumpyRule(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  const h = (p / 100) * (s.length - 1)
  return s[Math.floor(h)] + (h - Math.floor(h)) * (s[Math.ceil(h)] - s[Math.floor(h)])
}

describe('percentiles by selection', () => {
  it('gives what numpy gives', () => {
    // numpy.percentile([15, 20, 35, 40, 50], [40, 50, 99]) -> [29.0, 35.0, 49.6]
    const r = percentilesInPlace(Float64Array.of(50, 15, 40, 20, 35), 5, [40, 50, 99])
    expect(r[0]).toBeCloseTo(29, 12)
    expect(r[1]).toBe(35)
    expect(r[2]).toBeCloseTo(49.6, 12)
    // numpy.percentile([1, 2, 3, 4], 50) -> 2.5; one value is every percentile of itself
    expect(percentilesInPlace(Float64Array.of(4, 3, 2, 1), 4, [50])).toEqual([2.5])
    expect(percentilesInPlace(Float64Array.of(7), 1, [0, 50, 100])).toEqual([7, 7, 7])
  })

  it('matches a sorted copy for random sizes, ties and orders, reading only the first n values', () => {
    let seed = 12345
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let trial = 0; trial < 400; trial++) {
      const n = 1 + Math.floor(rand() * 300)
      // a few distinct values in some trials: long runs of ties through the partitioning
      const distinct = trial % 3 === 0 ? 3 : 1e6
      const xs = Array.from({ length: n }, () => Math.floor(rand() * distinct) / 7)
      if (trial % 5 === 0) xs.sort((a, b) => a - b)
      if (trial % 5 === 1) xs.sort((a, b) => b - a)
      const ps = [0, 50, 90, 95, 99, 99.9, 100, rand() * 100]
      const scratch = new Float64Array(n + 5).fill(-1e9)
      scratch.set(xs)
      const got = percentilesInPlace(scratch, n, ps)
      ps.forEach((p, i) => expect(got[i]).toBe(byNumpyRule(xs, p)))
      // the values were reordered, not changed
      expect([...scratch.subarray(0, n)].sort((a, b) => a - b)).toEqual([...xs].sort((a, b) => a - b))
    }
  })

  it('finds the k-th smallest also when it gives up partitioning and sorts what is left', () => {
    // an organ pipe and a sawtooth, with each partition budget from none to the default
    const inputs = [Array.from({ length: 201 }, (_, i) => Math.min(i, 200 - i)), Array.from({ length: 300 }, (_, i) => (i * 17) % 23)]
    for (const xs of inputs) {
      const sorted = [...xs].sort((a, b) => a - b)
      for (const budget of [0, 1, 2, 5, undefined]) {
        for (const k of [0, 1, 57, Math.floor(xs.length / 2), xs.length - 1]) {
          const a = Float64Array.from(xs)
          expect(nthSmallestInPlace(a, xs.length, k, budget)).toBe(sorted[k])
          // every value before k is no larger, every value after no smaller
          for (let i = 0; i < xs.length; i++) expect(i < k ? a[i] <= a[k] : a[i] >= a[k]).toBe(true)
        }
      }
    }
  })

  it('refuses an empty sample and a percentile outside [0, 100]', () => {
    expect(() => percentilesInPlace(new Float64Array(3), 0, [50])).toThrow(RangeError)
    expect(() => percentilesInPlace(Float64Array.of(1, 2), 2, [101])).toThrow(RangeError)
  })
})
