import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createRaplProbe, raplOptionsSchema, raplProbe, totalsByKind } from '../plugins/probes/rapl.js'
import { createFakePowercap, type FakePowercap } from './fixtures/fake-powercap.js'

let pc: FakePowercap
let clock = 0
const probe = createRaplProbe({ now: () => clock })

beforeEach(() => {
  pc = createFakePowercap()
  clock = 0
})
afterEach(() => pc.cleanup())

function byDomain(readings: Array<{ domain: string; energy_j: number }>): Record<string, number> {
  return Object.fromEntries(readings.map((r) => [r.domain, r.energy_j]))
}

describe('rapl probe availability', () => {
  it('reports a missing powercap tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llem-nopc-'))
    try {
      const root = join(dir, 'powercap')
      expect(await raplProbe.available({ root })).toEqual({ available: false, reason: `no powercap tree at ${root}` })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('reports a tree without intel-rapl zones (only the control-type directory)', async () => {
    const res = await raplProbe.available({ root: pc.root })
    expect(res.available).toBe(false)
    expect(res.reason).toMatch(/^no intel-rapl zones under /)
  })

  it('reports an energy_uj that cannot be read', async () => {
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 1 })
    pc.addZone('intel-rapl:0:0', { name: 'dram', energyUj: 1 })
    pc.breakEnergy('intel-rapl:0:0')
    const res = await raplProbe.available({ root: pc.root })
    expect(res.available).toBe(false)
    expect(res.reason).toMatch(/^energy_uj is not readable \(EISDIR\): .*intel-rapl:0:0\/energy_uj$/)
    await expect(raplProbe.open({ root: pc.root })).rejects.toMatchObject({ code: 'PROBE_FAILED' })
  })

  it('lists the zones it found, subzones once despite the root-level links', async () => {
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 1 })
    pc.addZone('intel-rapl:0:0', { name: 'core', energyUj: 1 })
    pc.addZone('intel-rapl:0:1', { name: 'dram', energyUj: 1 })
    pc.addZone('intel-rapl:1', { name: 'psys', energyUj: 1 })
    const res = await raplProbe.available({ root: pc.root })
    expect(res).toEqual({ available: true, reason: 'RAPL energy counters: package-0, package-0/core, package-0/dram, psys' })
    const session = await raplProbe.open({ root: pc.root })
    const zones = session.describe().zones as Array<{ id: string; kind: string; counted_in_totals: boolean }>
    expect(zones.map((z) => [z.id, z.kind, z.counted_in_totals])).toEqual([
      ['package-0', 'cpu', true],
      ['package-0/core', 'cpu', false],
      ['package-0/dram', 'dram', true],
      ['psys', 'psys', false],
    ])
    expect(session.method).toBe('counter')
    expect(session.confidence).toBe('high')
  })

  it('has a strict options schema', () => {
    expect(raplOptionsSchema.parse({})).toEqual({})
    expect(raplOptionsSchema.safeParse({ root: '/x', extra: 1 }).success).toBe(false)
  })
})

describe('rapl probe energy', () => {
  it('returns joules since open per domain', async () => {
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 1_000_000 })
    pc.addZone('intel-rapl:0:0', { name: 'dram', energyUj: 500_000 })
    const session = await probe.open({ root: pc.root })
    expect(byDomain(session.readEnergy())).toEqual({ 'package-0': 0, 'package-0/dram': 0 })
    pc.setEnergy('intel-rapl:0', 3_500_000)
    pc.setEnergy('intel-rapl:0:0', 750_000)
    expect(session.readEnergy()).toEqual([
      { domain: 'package-0', kind: 'cpu', energy_j: 2.5 },
      { domain: 'package-0/dram', kind: 'dram', energy_j: 0.25 },
    ])
    pc.setEnergy('intel-rapl:0', 4_500_000)
    expect(byDomain(session.readEnergy())['package-0']).toBe(3.5)
    expect(session.warnings()).toEqual([])
  })

  it('corrects a wraparound with max_energy_range_uj and says so', async () => {
    const max = 1_000_000_000 // 1000 J range
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 999_000_000, maxEnergyRangeUj: max })
    const session = await probe.open({ root: pc.root })
    pc.setEnergy('intel-rapl:0', 500_000) // 1 J to the top, wrap, then 0.5 J
    expect(byDomain(session.readEnergy())['package-0']).toBeCloseTo(1.5, 9)
    pc.setEnergy('intel-rapl:0', 999_500_000) // no wrap: +999 J
    expect(byDomain(session.readEnergy())['package-0']).toBeCloseTo(1000.5, 9)
    pc.setEnergy('intel-rapl:0', 2_000_000) // wrap again: +0.5 J to the top, then +2 J
    expect(byDomain(session.readEnergy())['package-0']).toBeCloseTo(1003, 9)
    expect(session.warnings()).toEqual([expect.stringMatching(/package-0: energy counter wrapped 2 times/)])
  })

  it('skips a failed read and lets the next good read carry that interval', async () => {
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 0 })
    const session = await probe.open({ root: pc.root })
    pc.setEnergy('intel-rapl:0', 1_000_000)
    expect(byDomain(session.readEnergy())['package-0']).toBe(1)
    pc.breakEnergy('intel-rapl:0')
    expect(byDomain(session.readEnergy())['package-0']).toBe(1)
    pc.setEnergy('intel-rapl:0', 4_000_000)
    expect(byDomain(session.readEnergy())['package-0']).toBe(4)
    expect(session.warnings()).toEqual([expect.stringMatching(/package-0: 1 failed read \(last: energy_uj is not readable \(EISDIR\): .*energy_uj\)/)])
  })

  it('warns when reads are far enough apart for a second wrap to go unnoticed', async () => {
    // 100 J range at a 50 W limit wraps in 2 s
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 0, maxEnergyRangeUj: 100_000_000, powerLimitUw: 50_000_000 })
    const session = await probe.open({ root: pc.root })
    clock = 1000
    session.readEnergy()
    expect(session.warnings()).toEqual([])
    clock = 6000
    session.readEnergy()
    expect(session.warnings()).toEqual([expect.stringMatching(/5\.0 s passed .* the 2\.0 s the counter needs to wrap at 50 W/)])
  })

  it('samples power in watts from the energy delta since the previous sample', async () => {
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 0 })
    pc.addZone('intel-rapl:0:0', { name: 'dram', energyUj: 0 })
    const session = await probe.open({ root: pc.root })
    clock = 2000
    pc.setEnergy('intel-rapl:0', 24_600_000)
    pc.setEnergy('intel-rapl:0:0', 4_000_000)
    expect(session.sample()).toEqual({ 'rapl_package-0_w': 12.3, 'rapl_package-0_dram_w': 2 })
    // a readEnergy in between does not disturb the next sample's interval
    clock = 2500
    pc.setEnergy('intel-rapl:0', 29_600_000)
    session.readEnergy()
    clock = 3000
    pc.setEnergy('intel-rapl:0', 34_600_000)
    expect(session.sample()['rapl_package-0_w']).toBeCloseTo(10, 9)
    expect(session.sample()).toEqual({}) // no time passed
  })
})

describe('totalsByKind', () => {
  it('sums packages and dram without double counting core, uncore or psys', async () => {
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 0 })
    pc.addZone('intel-rapl:0:0', { name: 'core', energyUj: 0 })
    pc.addZone('intel-rapl:0:1', { name: 'uncore', energyUj: 0 })
    pc.addZone('intel-rapl:0:2', { name: 'dram', energyUj: 0 })
    pc.addZone('intel-rapl:1', { name: 'package-1', energyUj: 0 })
    pc.addZone('intel-rapl:1:0', { name: 'dram', energyUj: 0 })
    pc.addZone('intel-rapl:2', { name: 'psys', energyUj: 0 })
    const session = await probe.open({ root: pc.root })
    pc.setEnergy('intel-rapl:0', 10_000_000)
    pc.setEnergy('intel-rapl:0:0', 7_000_000)
    pc.setEnergy('intel-rapl:0:1', 2_000_000)
    pc.setEnergy('intel-rapl:0:2', 3_000_000)
    pc.setEnergy('intel-rapl:1', 20_000_000)
    pc.setEnergy('intel-rapl:1:0', 4_000_000)
    pc.setEnergy('intel-rapl:2', 50_000_000)
    const readings = session.readEnergy()
    expect(readings.filter((r) => r.contained_in).map((r) => [r.domain, r.contained_in])).toEqual([
      ['package-0/core', 'package-0'],
      ['package-0/uncore', 'package-0'],
    ])
    expect(totalsByKind(readings)).toEqual({ cpu: 30, dram: 7 })
  })

  it('gives null, not zero, for a kind that was not measured', () => {
    expect(totalsByKind([{ domain: 'package-0', kind: 'cpu', energy_j: 4 }])).toEqual({ cpu: 4, dram: null })
    expect(totalsByKind([{ domain: 'package-0/core', kind: 'cpu', energy_j: 3, contained_in: 'package-0' }])).toEqual({ cpu: null, dram: null })
    expect(totalsByKind([])).toEqual({ cpu: null, dram: null })
  })
})
