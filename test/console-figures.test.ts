/**
 * How the console, the HTML page and the text Pareto front write a number: three significant digits,
 * never exponent notation for the magnitudes results hold, whole numbers from 1000 up, including the
 * values just below 1000 that three digits round up to it (toPrecision(3) writes those "1.00e+3").
 */
import { describe, expect, it } from 'vitest'
import { formatSig, joulesIn, MILLIJOULES, NONE } from '../core/results/figures.js'

describe('figures as the console writes them', () => {
  it('three significant digits below 1000, whole numbers from 1000 up, with no exponent at the seam', () => {
    expect(formatSig(999.4)).toBe('999')
    expect(formatSig(999.5)).toBe('1000')
    expect(formatSig(999.96)).toBe('1000')
    expect(formatSig(-999.7)).toBe('-1000')
    expect(formatSig(1000.4)).toBe('1000')
    expect(formatSig(12345.6)).toBe('12346')
    expect(formatSig(0.0123456)).toBe('0.0123')
    expect(formatSig(0)).toBe('0')
    expect(formatSig(null)).toBe(NONE)
    // 0.9996 J shown in mJ: 999.6 mJ, three digits make it 1000
    expect(joulesIn(MILLIJOULES, 0.9996)).toBe('1000')
  })
})
