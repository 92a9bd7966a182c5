/**
 * Energy between two snapshots when a reading gives none: cumulative energy that went down (a reset
 * or wrap the probe did not handle) or NaN leaves the domain out, with the reason, and its kind's
 * figure and the total null (a sum without it would pass part off as whole); a rounding error of
 * either sign between interpolated snapshots of a counter that did not move is 0 J, not a fault.
 */
import { describe, expect, it } from 'vitest'
import { energyBetween, type EnergySnapshot } from '../core/measure/probe-set.js'

const snap = (t: number, gpu: number, cpu: number): EnergySnapshot => ({
  t,
  domains: { 'nvml:GPU-a': { kind: 'gpu', energy_j: gpu, counted: true }, 'rapl:package-0': { kind: 'cpu', energy_j: cpu, counted: true } },
})

describe('energy between snapshots whose readings give none', () => {
  it('a counter that went down: its kind and the total are null, the other kind stands', () => {
    const d = energyBetween(snap(0, 5000, 100), snap(1000, 4000, 130))
    expect(d.gpu).toBeNull()
    expect(d.total).toBeNull()
    expect(d.cpu).toBe(30)
    expect(d.perDomain).toEqual({ 'rapl:package-0': 30 })
    expect(d.invalid['nvml:GPU-a']).toBe('its cumulative energy went down by 1000 J (5000 -> 4000 J)')
  })

  it('NaN: the same, said so', () => {
    const d = energyBetween(snap(0, 5000, 100), snap(1000, Number.NaN, 130))
    expect(d.total).toBeNull()
    expect(d.invalid['nvml:GPU-a']).toBe('its energy reading is not a number (5000 -> NaN J)')
  })

  it('a rounding error below a counter that did not move is 0 J', () => {
    const e = 123456.789
    const d = energyBetween(snap(0, e + e * 1e-15, 100), snap(1000, e, 130))
    expect(d.invalid).toEqual({})
    expect(d.gpu).toBe(0)
    expect(d.total).toBe(30)
  })
})
