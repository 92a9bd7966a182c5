/**
 * Energy bookkeeping: totals never count a domain twice, sub-windows interpolate the timeline,
 * the idle baseline is measured once and then cached with its age, emissions and FLOPs follow
 * their formulas.
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { measureBaseline } from '../core/measure/baseline.js'
import { carbonIntensity, emissionsKg } from '../core/measure/emissions.js'
import { bodyWeights, estimateFlops, requestFlops } from '../core/measure/flops.js'
import { energyBetween, interpolateSnapshot, snapshotEnergy } from '../core/measure/probe-set.js'
import type { ProbeSession } from '../core/probes/types.js'

/** A probe session drawing a constant power, with a package and a core sub-domain inside it. */
function constantPower(watts: number): ProbeSession {
  const t0 = Date.now()
  const e = () => (watts * (Date.now() - t0)) / 1000
  return {
    probe: 'const', method: 'counter', confidence: 'high',
    readEnergy: () => [
      { domain: 'package-0', kind: 'cpu', energy_j: e() },
      { domain: 'package-0/core', kind: 'cpu', energy_j: e() * 0.6, contained_in: 'package-0' },
      { domain: 'package-0/dram', kind: 'dram', energy_j: e() * 0.1 },
    ],
    sample: () => ({}), describe: () => ({}), warnings: () => [], close() {},
  }
}

describe('energy accounting', () => {
  it('totals add packages and DRAM but never a contained sub-domain', () => {
    const a = { t: 0, domains: { 'r:package-0': { kind: 'cpu' as const, energy_j: 10, counted: true }, 'r:package-0/core': { kind: 'cpu' as const, energy_j: 5, counted: false }, 'r:dram': { kind: 'dram' as const, energy_j: 1, counted: true } } }
    const b = { t: 1000, domains: { 'r:package-0': { kind: 'cpu' as const, energy_j: 30, counted: true }, 'r:package-0/core': { kind: 'cpu' as const, energy_j: 17, counted: false }, 'r:dram': { kind: 'dram' as const, energy_j: 3, counted: true } } }
    const d = energyBetween(a, b)
    expect(d.cpu).toBe(20)
    expect(d.dram).toBe(2)
    expect(d.gpu).toBeNull()
    expect(d.total).toBe(22)
    expect(d.perDomain['r:package-0/core']).toBe(12)
  })

  it('sub-window energy interpolates linearly between timeline samples', () => {
    const snap = (t: number, e: number) => ({ t, domains: { x: { kind: 'cpu' as const, energy_j: e, counted: true } } })
    const timeline = [snap(0, 0), snap(100, 10), snap(200, 30)]
    expect(interpolateSnapshot(timeline, 150)!.domains.x.energy_j).toBe(20)
    expect(interpolateSnapshot(timeline, 250)).toBeNull()
  })

  it('the idle baseline is measured fresh, then served from the cache with its age', async () => {
    const cache = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-baseline-')), 'baseline.json')
    const s = constantPower(50)
    const fresh = await measureBaseline([s], { enabled: true, seconds: 0.3, ttlSeconds: 60, sampleIntervalMs: 20 }, cache)
    expect(fresh.method).toBe('fresh')
    // package 50 W + DRAM 5 W; the core sub-domain is inside the package
    expect(fresh.power_w!).toBeGreaterThan(50)
    expect(fresh.power_w!).toBeLessThan(60)
    const cached = await measureBaseline([s], { enabled: true, seconds: 0.3, ttlSeconds: 60, sampleIntervalMs: 20 }, cache)
    expect(cached.method).toBe('cached')
    expect(cached.power_w).toBe(fresh.power_w)
    expect(cached.cache_age_sec!).toBeGreaterThanOrEqual(0)
    const expired = await measureBaseline([s], { enabled: true, seconds: 0.1, ttlSeconds: 0, sampleIntervalMs: 20 }, cache)
    expect(expired.method).toBe('fresh')
    expect((await measureBaseline([], { enabled: true, seconds: 1, ttlSeconds: 1, sampleIntervalMs: 20 }, cache)).method).toBe('unavailable')
    expect((await measureBaseline([s], { enabled: false, seconds: 1, ttlSeconds: 1, sampleIntervalMs: 20 }, cache)).method).toBe('disabled')
  })

  it('emissions: kWh x g/kWh, by country or the world average', () => {
    // CodeCarbon's world-average fallback, 475 g CO2/kWh (docs/references.md), written out: the code's
    // own constant would agree with any value
    expect(carbonIntensity({ country: null, intensity: null })!.g_per_kwh).toBe(475)
    const fra = carbonIntensity({ country: 'fra', intensity: null })!
    expect(fra.g_per_kwh).toBeGreaterThan(0)
    expect(fra.source).toContain('France')
    expect(carbonIntensity({ country: 'XXX', intensity: null })).toBeNull()
    expect(carbonIntensity({ country: 'FRA', intensity: 100 })!.g_per_kwh).toBe(100)
    expect(emissionsKg(3.6e6, 475)).toBeCloseTo(0.475)
  })

  it('FLOPs: the architecture formula when the shape is known, else 2 x params x tokens', () => {
    const shape = { layers: 2, hidden: 8, heads: 2, headsKv: 1, ff: 16, vocab: 10, context: 64 }
    // q,o: 8x8 each; k,v: 8x4 each; ffn 3x8x16; per layer 128+64+384 = 576; x2 layers
    expect(bodyWeights(shape)).toBe(2 * 576)
    // 2 prompt tokens + 3 generated: 4 evaluated positions, 3 sampled tokens (logits 8x10 each)
    expect(requestFlops(shape, 2, 3)).toBe(2 * 1152 * 4 + 2 * 80 * 3 + 4 * 2 * 8 * (1 + 2 + 3 + 4))
    const model = { name: 'm', path: null, file_size_mb: null, parameters: 100, architecture: null, shape: null, precision: null }
    expect(estimateFlops(model, [{ input: 3, output: 2 }])).toEqual({ total: 1000, method: 'parameter', confidence: 'low' })
    expect(estimateFlops({ ...model, parameters: null }, [{ input: 3, output: 2 }]).method).toBe('none')
  })

  it('snapshots key domains by probe', () => {
    const snap = snapshotEnergy([constantPower(1)], 0)
    expect(Object.keys(snap.domains)).toEqual(['const:package-0', 'const:package-0/core', 'const:package-0/dram'])
    expect(snap.domains['const:package-0/core'].counted).toBe(false)
  })
})
