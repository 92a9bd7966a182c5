/**
 * The energy error model's terms against values worked out by hand (core/measure/uncertainty.ts).
 */
import { describe, expect, it } from 'vitest'
import { NVML_COUNTER, NVML_COUNTER_ACCURACY, NVML_INSTANT_ACCURACY } from '../plugins/probes/nvml/accuracy.js'
import { RAPL_COUNTER, RAPL_DRAM_ACCURACY, RAPL_PACKAGE_ACCURACY } from '../plugins/probes/rapl-accuracy.js'
import { coverageMultiplier, normalFromSd, tQuantile975, uniformHalfRange, Z95 } from '../core/measure/uncertainty-shape.js'
import { adjustedUncertainty, baselineMeanSd, combineIntervals, confidenceFor, counterEdge, energyUncertainty, perUnit, relativeHalfWidth, scaleInterval, unknownEdges, type CounterInput } from '../core/measure/uncertainty.js'

const nvml = (over: Partial<CounterInput> = {}): CounterInput => ({
  method: 'counter',
  energy_j: 300 * 10,
  duration_s: 10,
  accuracy: NVML_COUNTER_ACCURACY,
  update_period_ms: 100,
  resolution_j: NVML_COUNTER.resolution_j,
  edge_power_w: [300, 300],
  ...over,
})

describe('shape of the error', () => {
  it('uses 1.645 sd for a uniform, 1.90 for a triangular and 1.96 for a normal error', () => {
    expect(coverageMultiplier(uniformHalfRange(1))).toBeCloseTo(1.645, 3)
    const tri = uniformHalfRange(1)
    expect(coverageMultiplier({ variance: 2 * tri.variance, cumulant4: 2 * tri.cumulant4 })).toBeCloseTo(1.9, 3)
    expect(coverageMultiplier(normalFromSd(3))).toBeCloseTo(Z95, 5)
  })

  it('tabulates the Student t quantile and approaches 1.96 beyond 30 degrees of freedom', () => {
    expect(tQuantile975(1)).toBe(12.706)
    expect(tQuantile975(9)).toBe(2.262)
    expect(tQuantile975(30)).toBe(2.042)
    expect(tQuantile975(60)).toBeCloseTo(2.0, 2)
    expect(tQuantile975(0)).toBe(Infinity)
  })
})

describe('counter edges', () => {
  it('equal edge powers: two lags of up to p·P, triangular, 95% at 0.776·p·P, no shift', () => {
    // p = 300 W, P = 0.1 s: a = b = 30 J; sd = 30/sqrt(6) = 12.25 J; exact triangular 95% = 30·(1 - sqrt(0.05)) = 23.29 J
    const e = counterEdge(300, 300, 0.1, 10)
    expect(e.shift).toBe(0)
    expect(Math.sqrt(e.moments.variance)).toBeCloseTo(30 / Math.sqrt(6), 6)
    expect(energyUncertainty(nvml()).terms.edge).toBeCloseTo(23.29, 1)
  })

  it('unequal edge powers: the counter lags by (p1 - p0)·P/2 on average, which becomes the shift', () => {
    // p0 = 100 W, p1 = 300 W, P = 50 ms: (15 J - 5 J)/2 = 5 J more energy than the counter shows
    const iv = energyUncertainty(nvml({ update_period_ms: 50, edge_power_w: [100, 300] }))
    expect(iv.shift_j).toBeCloseTo(5, 9)
    expect(iv.low_j).toBeCloseTo(iv.energy_j + 5 - iv.half_width_j, 9)
    expect(iv.high_j).toBeCloseTo(iv.energy_j + 5 + iv.half_width_j, 9)
  })

  it('a window shorter than one update is bounded by max(p)·P over every phase', () => {
    // uniform on ±20 J (200 W x 0.1 s): 95% at 19 J
    const iv = energyUncertainty(nvml({ energy_j: 10, duration_s: 0.05, edge_power_w: [200, 200] }))
    expect(iv.terms.edge).toBeCloseTo(19, 6)
    expect(iv.notes.join()).toMatch(/shorter than one counter update/)
  })

  it('unknown edge powers: 0..2x the mean at each edge, variance 7/18·(m·P)², part of it shared between devices', () => {
    const u = unknownEdges(300, 0.1, 10) // m·P = 30 J
    expect(u.lag.variance + u.power.variance).toBeCloseTo((7 / 18) * 900, 9)
    expect(u.power.variance).toBeCloseTo(150, 9)
    const iv = energyUncertainty(nvml({ edge_power_w: null }))
    expect(iv.shift_j).toBe(0)
    expect(iv.terms.edge_power).toBeGreaterThan(0)
    expect(iv.notes.join()).toMatch(/edges unknown/)
  })

  it('an unmeasured update period falls back to 100 ms and says so', () => {
    const iv = energyUncertainty(nvml({ update_period_ms: null }))
    expect(iv.terms.edge).toBeCloseTo(energyUncertainty(nvml({ update_period_ms: 100 })).terms.edge, 9)
    expect(iv.notes.join()).toMatch(/100 ms assumed/)
  })

  it('resolution: two floored reads, triangular on ±1 mJ', () => {
    // sd = 0.001/sqrt(6); x 1.90
    expect(energyUncertainty(nvml()).terms.resolution).toBeCloseTo((1.9 * 0.001) / Math.sqrt(6), 7)
  })
})

describe('sensor accuracy', () => {
  it('NVML counter: ±5 W x duration as a 95% bound', () => {
    expect(energyUncertainty(nvml({ energy_j: 18000, duration_s: 60 })).terms.accuracy).toBeCloseTo(300, 6)
  })

  it('a 60 s, 300 W GPU window is known to within 2%', () => {
    const iv = energyUncertainty(nvml({ energy_j: 18000, duration_s: 60, update_period_ms: 50 }))
    // sqrt(300² + (1.96·15/sqrt(6))²) ≈ 300.2 J
    expect(iv.half_width_j).toBeCloseTo(300.2, 0)
    expect(relativeHalfWidth(iv)!).toBeLessThan(0.02)
  })

  it('RAPL: ±5% of a package energy and ±10% of a DRAM energy', () => {
    const rapl = { method: 'counter', energy_j: 1000, duration_s: 10, update_period_ms: RAPL_COUNTER.period_ms, resolution_j: RAPL_COUNTER.resolution_j, edge_power_w: [100, 100] } as const
    expect(energyUncertainty({ ...rapl, accuracy: RAPL_PACKAGE_ACCURACY }).terms.accuracy).toBeCloseTo(50, 6)
    expect(energyUncertainty({ ...rapl, accuracy: RAPL_DRAM_ACCURACY }).terms.accuracy).toBeCloseTo(100, 6)
  })
})

describe('integrated instant power', () => {
  it('a 200 W step between samples 100 ms apart: uniform on ±10 J, 95% at 9.5 J', () => {
    const samples = [
      { t_ms: 0, power_w: 100 },
      { t_ms: 100, power_w: 100 },
      { t_ms: 200, power_w: 300 },
      { t_ms: 300, power_w: 300 },
    ]
    const iv = energyUncertainty({ method: 'integrated_power', energy_j: 60, duration_s: 0.3, accuracy: NVML_INSTANT_ACCURACY, samples })
    expect(iv.terms.sampling).toBeCloseTo(9.5, 6)
    expect(iv.terms.accuracy).toBeCloseTo(3, 6) // 5% of 60 J
    expect(iv.terms.edge).toBe(0)
  })
})

describe('cpu-estimate', () => {
  it('spans the model range cores x idle..max W x duration', () => {
    // 8 cores x 1.0..3.5 W x 10 s = 80..280 J; an estimate of 150 J is 130 J from the top
    const iv = energyUncertainty({ method: 'estimate', energy_j: 150, duration_s: 10, model: { cores: 8, idle_w_per_core: 1, max_w_per_core: 3.5 } })
    expect(iv.terms.model_range).toBeCloseTo(130, 6)
    expect(iv.low_j).toBeLessThanOrEqual(80 + 1e-9)
    expect(iv.high_j).toBeGreaterThanOrEqual(280 - 1e-9)
    expect(iv.notes.join()).toMatch(/not a measured uncertainty/)
  })
})

describe('baseline and adjusted energy', () => {
  it('standard error from block means, widened by t(K-1)/1.96', () => {
    // blocks 49, 51, 49, 51: sd = sqrt(4/3), se = sd/2 = 0.5774; x 3.182/1.96
    expect(baselineMeanSd([49, 51, 49, 51])!).toBeCloseTo(0.57735 * (3.182 / Z95), 4)
    expect(baselineMeanSd([50])).toBeNull()
  })

  it('adds (baseline error per watt) x window duration as its own term', () => {
    const raw = energyUncertainty(nvml())
    const adj = adjustedUncertainty(raw, { power_w: 50, duration_s: 30, block_powers_w: [49, 51, 49, 51], accuracy: NVML_COUNTER_ACCURACY, update_period_ms: null }, 10)
    expect(adj.energy_j).toBeCloseTo(3000 - 500, 9)
    // sd per watt: sqrt(0.9373² + (5/1.96)²) = 2.718 W, x 10 s, normal: 95% at 53.3 J
    const sdW = Math.hypot(0.57735 * (3.182 / Z95), 5 / Z95)
    expect(adj.terms.baseline).toBeCloseTo(Z95 * sdW * 10, 1)
    expect(adj.half_width_j).toBeGreaterThan(raw.half_width_j)
    expect(adj.shift_j).toBe(raw.shift_j)
  })

  it('without block powers assumes a 2% standard error and says so', () => {
    const raw = energyUncertainty(nvml())
    const adj = adjustedUncertainty(raw, { power_w: 50, duration_s: 30, accuracy: null }, 10)
    expect(adj.terms.baseline).toBeCloseTo(Z95 * 1 * 10, 6) // 2% of 50 W = 1 W, x 10 s
    expect(adj.notes.join()).toMatch(/spread not recorded/)
  })
})

describe('totals, per token and per request', () => {
  it('independent domains add in quadrature; energies and shifts add', () => {
    const a = energyUncertainty(nvml({ energy_j: 18000, duration_s: 60, edge_power_w: [100, 300] }))
    const total = combineIntervals([a, a])
    expect(total.energy_j).toBe(36000)
    expect(total.shift_j).toBeCloseTo(2 * a.shift_j, 9)
    expect(total.half_width_j).toBeCloseTo(Math.SQRT2 * a.half_width_j, 0)
  })

  it('sampling errors of domains read at the same ticks add linearly', () => {
    const samples = [0, 100, 200, 300].map((t, i) => ({ t_ms: t, power_w: i < 2 ? 100 : 300 }))
    const g = energyUncertainty({ method: 'integrated_power', energy_j: 60, duration_s: 0.3, accuracy: NVML_INSTANT_ACCURACY, samples })
    expect(combineIntervals([g, g]).terms.sampling).toBeCloseTo(2 * g.terms.sampling, 9)
  })

  it('J/token and per-request energy divide the interval by the exact count', () => {
    const iv = energyUncertainty(nvml({ edge_power_w: [100, 300] }))
    const perToken = perUnit(iv, 1000)!
    expect(perToken.energy_j).toBeCloseTo(iv.energy_j / 1000, 12)
    expect(perToken.half_width_j).toBeCloseTo(iv.half_width_j / 1000, 12)
    expect(perToken.shift_j).toBeCloseTo(iv.shift_j / 1000, 12)
    expect(relativeHalfWidth(scaleInterval(iv, 0.37))).toBeCloseTo(relativeHalfWidth(iv)!, 12)
    expect(perUnit(iv, 0)).toBeNull()
    expect(iv.model).toBe('v1')
  })
})

describe('confidence', () => {
  it('is never high for a counter window under 10 updates', () => {
    expect(confidenceFor('counter', 0.99, 100)).toBe('low')
    expect(confidenceFor('counter', 1, 100)).toBe('high')
    expect(confidenceFor('counter', 0.2, 20)).toBe('high')
    expect(confidenceFor('counter', 0.19, 20)).toBe('low')
    expect(confidenceFor('counter', 60, null)).toBe('medium')
  })

  it('integrated power is at most medium, an estimate always low', () => {
    expect(confidenceFor('integrated_power', 10, 100)).toBe('medium')
    expect(confidenceFor('integrated_power', 0.5, 100)).toBe('low')
    expect(confidenceFor('estimate', 600, 100)).toBe('low')
  })
})
