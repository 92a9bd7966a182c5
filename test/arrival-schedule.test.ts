import { describe, expect, it } from 'vitest'
import { arrivalOffsetsMs } from '../core/workload/arrivals.js'
import { createRng, gamma } from '../core/workload/random.js'
import { maxOf, minOf } from '../core/stats/extent.js'

function gaps(offsets: number[]): number[] {
  return offsets.slice(1).map((t, i) => t - offsets[i])
}

function meanAndCv(xs: number[]): { mean: number; cv: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)
  return { mean, cv: Math.sqrt(variance) / mean }
}

describe('arrivalOffsetsMs', () => {
  it('rate Infinity sends everything at once', () => {
    expect(arrivalOffsetsMs(5, { rate: Infinity, seed: 1 })).toEqual([0, 0, 0, 0, 0])
  })

  it('starts at 0 and never goes backwards', () => {
    const offsets = arrivalOffsetsMs(1000, { rate: 50, burstiness: 0.3, seed: 4 })
    expect(offsets).toHaveLength(1000)
    expect(offsets[0]).toBe(0)
    for (const g of gaps(offsets)) expect(g).toBeGreaterThanOrEqual(0)
  })

  it('handles 0 and 1 requests', () => {
    expect(arrivalOffsetsMs(0, { rate: 5 })).toEqual([])
    expect(arrivalOffsetsMs(1, { rate: 5 })).toEqual([0])
  })

  it('mean gap is 1 / rate', () => {
    const { mean } = meanAndCv(gaps(arrivalOffsetsMs(20_001, { rate: 10, seed: 11 })))
    expect(mean).toBeGreaterThan(97)
    expect(mean).toBeLessThan(103)
  })

  it.each([
    { burstiness: 0.25, cv: 2 },
    { burstiness: 1, cv: 1 },
    { burstiness: 4, cv: 0.5 },
  ])('burstiness $burstiness gives gap CV ~ $cv with the same mean', ({ burstiness, cv }) => {
    const stats = meanAndCv(gaps(arrivalOffsetsMs(50_001, { rate: 4, burstiness, seed: 5 })))
    expect(stats.cv).toBeGreaterThan(cv * 0.92)
    expect(stats.cv).toBeLessThan(cv * 1.08)
    expect(stats.mean).toBeGreaterThan(250 * 0.95)
    expect(stats.mean).toBeLessThan(250 * 1.05)
  })

  it('is deterministic per seed', () => {
    const a = arrivalOffsetsMs(50, { rate: 3, seed: 42 })
    expect(arrivalOffsetsMs(50, { rate: 3, seed: 42 })).toEqual(a)
    expect(arrivalOffsetsMs(50, { rate: 3, seed: 43 })).not.toEqual(a)
    expect(arrivalOffsetsMs(50, { rate: 3 })).toEqual(arrivalOffsetsMs(50, { rate: 3, seed: 0 }))
  })

  it('rejects nonsense', () => {
    expect(() => arrivalOffsetsMs(3, { rate: 0 })).toThrow(RangeError)
    expect(() => arrivalOffsetsMs(3, { rate: Number.NaN })).toThrow(RangeError)
    expect(() => arrivalOffsetsMs(3, { rate: 1, burstiness: 0 })).toThrow(RangeError)
    expect(() => arrivalOffsetsMs(-1, { rate: 1 })).toThrow(RangeError)
  })
})

describe('seeded random', () => {
  it('createRng is uniform on [0, 1) and reproducible', () => {
    const rng = createRng(9)
    const xs = Array.from({ length: 10_000 }, rng)
    expect(minOf(xs)).toBeGreaterThanOrEqual(0)
    expect(maxOf(xs)).toBeLessThan(1)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean).toBeGreaterThan(0.49)
    expect(mean).toBeLessThan(0.51)
    const again = createRng(9)
    expect(Array.from({ length: 5 }, again)).toEqual(xs.slice(0, 5))
  })

  it('gamma has mean shape*scale and variance shape*scale^2, including shape < 1', () => {
    for (const [shape, scale] of [
      [0.5, 2],
      [3, 0.5],
    ]) {
      const rng = createRng(17)
      const xs = Array.from({ length: 40_000 }, () => gamma(rng, shape, scale))
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)
      expect(mean / (shape * scale)).toBeCloseTo(1, 1)
      expect(variance / (shape * scale * scale)).toBeCloseTo(1, 1)
    }
  })
})
