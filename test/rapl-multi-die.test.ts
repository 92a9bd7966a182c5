/**
 * Packages the kernel splits into dies (`package-N-die-M` zones). On a Xeon Cascade Lake-AP every die
 * has its own counters, so the dies add up; on AMD Zen 4/5 kernels that number dies, every die zone
 * reads the one package counter, so it counts once. The fake trees below build both layouts; the
 * expected joules are what the fake counters were advanced by.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { energyBetween, snapshotEnergy } from '../core/measure/probe-set.js'
import { createRaplProbe, totalsByKind } from '../plugins/probes/rapl.js'
import { createFakePowercap, type FakePowercap } from './fixtures/fake-powercap.js'

let pc: FakePowercap
const probe = createRaplProbe({ now: () => 0 })
beforeEach(() => {
  pc = createFakePowercap()
})
afterEach(() => pc.cleanup())

type DescribedZone = { id: string; counted_in_totals: boolean }
type Dies = Array<{ package: string; domain: string; counters: string; counted: string[]; decided_by: string }>

describe('rapl dies with their own counters (Cascade Lake-AP: 2 sockets x 2 dies)', () => {
  // boot-time counter values differ per die, as real counters that accumulated at different rates
  const dies = [
    { zone: 'intel-rapl:0', name: 'package-0-die-0', start: 5_000_000, dram: 300_000 },
    { zone: 'intel-rapl:1', name: 'package-0-die-1', start: 9_000_000, dram: 700_000 },
    { zone: 'intel-rapl:2', name: 'package-1-die-0', start: 2_000_000, dram: 100_000 },
    { zone: 'intel-rapl:3', name: 'package-1-die-1', start: 4_000_000, dram: 900_000 },
  ]
  beforeEach(() => {
    for (const d of dies) {
      pc.addZone(d.zone, { name: d.name, energyUj: d.start })
      pc.addZone(`${d.zone}:0`, { name: 'core', energyUj: d.start / 2 })
      pc.addZone(`${d.zone}:1`, { name: 'dram', energyUj: d.dram })
    }
  })

  it('sums every die and every die DRAM, and says how it decided', async () => {
    const session = await probe.open({ root: pc.root })
    const before = snapshotEnergy([session], 0)
    const packageJ = [10, 12, 8, 6]
    const dramJ = [1, 2, 3, 4]
    dies.forEach((d, i) => {
      pc.setEnergy(d.zone, d.start + packageJ[i] * 1e6)
      pc.setEnergy(`${d.zone}:0`, d.start / 2 + 5e6) // core is inside its die: never added
      pc.setEnergy(`${d.zone}:1`, d.dram + dramJ[i] * 1e6)
    })
    const readings = session.readEnergy()
    expect(totalsByKind(readings)).toEqual({ cpu: 36, dram: 10 })
    // the harness's own totals (what energy_metrics reports) follow the same contained_in marks
    const delta = energyBetween(before, snapshotEnergy([session], 1000))
    expect(delta.cpu).toBeCloseTo(36, 9)
    expect(delta.dram).toBeCloseTo(10, 9)
    const described = session.describe()
    const counted = (described.zones as DescribedZone[]).filter((z) => z.counted_in_totals).map((z) => z.id)
    expect(counted).toEqual(dies.flatMap((d) => [d.name, `${d.name}/dram`]))
    const decisions = described.dies as Dies
    expect(decisions.map((d) => [d.package, d.domain, d.counters])).toEqual([
      ['package-0', 'package', 'per_die'],
      ['package-1', 'package', 'per_die'],
      ['package-0', 'dram', 'per_die'],
      ['package-1', 'dram', 'per_die'],
    ])
    expect(decisions[0].decided_by).toMatch(/never read the same energy_uj in \d+ back-to-back rounds \(first: 5000000 vs 9000000\): one counter per die, summed/)
    expect(session.warnings()).toEqual([])
  })
})

describe('rapl die zones that all read the package counter (AMD Zen 4/5 kernels)', () => {
  beforeEach(() => {
    pc.addZone('intel-rapl:0', { name: 'package-0-die-0', energyUj: 7_000_000 })
    pc.addZone('intel-rapl:0:0', { name: 'core', energyUj: 1_000_000 })
    pc.addZone('intel-rapl:1', { name: 'package-0-die-1', energyUj: 0, sameCounterAs: 'intel-rapl:0' })
    pc.addZone('intel-rapl:1:0', { name: 'core', energyUj: 2_000_000 })
    pc.addZone('intel-rapl:2', { name: 'package-1-die-0', energyUj: 3_000_000 })
    pc.addZone('intel-rapl:3', { name: 'package-1-die-1', energyUj: 0, sameCounterAs: 'intel-rapl:2' })
  })

  it('counts each package counter once, however many dies publish it', async () => {
    const session = await probe.open({ root: pc.root })
    const before = snapshotEnergy([session], 0)
    pc.setEnergy('intel-rapl:0', 7_000_000 + 40e6) // socket 0 drew 40 J
    pc.setEnergy('intel-rapl:2', 3_000_000 + 30e6) // socket 1 drew 30 J
    const readings = session.readEnergy()
    // each die zone still reports what it reads, marked as a copy of the die that is counted
    expect(readings.find((r) => r.domain === 'package-0-die-1')).toEqual({ domain: 'package-0-die-1', kind: 'cpu', energy_j: 40, contained_in: 'package-0-die-0' })
    expect(totalsByKind(readings)).toEqual({ cpu: 70, dram: null })
    expect(energyBetween(before, snapshotEnergy([session], 1000)).cpu).toBeCloseTo(70, 9)
    const decisions = session.describe().dies as Dies
    expect(decisions.map((d) => [d.package, d.counters, d.counted])).toEqual([
      ['package-0', 'shared', ['package-0-die-0']],
      ['package-1', 'shared', ['package-1-die-0']],
    ])
    expect(decisions[0].decided_by).toMatch(/read the same energy_uj \(7000000\) when read back to back .*one package counter published once per die, counted once \(package-0-die-0\)/)
    expect(session.warnings()).toEqual([])
  })
})

describe('rapl die counters that agreed at open by chance', () => {
  it('are counted separately, for the whole session, once they drift apart, with a warning', async () => {
    pc.addZone('intel-rapl:0', { name: 'package-0-die-0', energyUj: 5_000_000 })
    pc.addZone('intel-rapl:1', { name: 'package-0-die-1', energyUj: 5_000_000 })
    const session = await probe.open({ root: pc.root })
    pc.setEnergy('intel-rapl:0', 5_500_000)
    pc.setEnergy('intel-rapl:1', 5_500_000)
    expect(totalsByKind(session.readEnergy()).cpu).toBeCloseTo(0.5, 9) // still one counter as far as anyone can tell
    pc.setEnergy('intel-rapl:0', 15_000_000) // die 0: 10 J since open
    pc.setEnergy('intel-rapl:1', 9_000_000) // die 1: 4 J since open, 6 J away from die 0
    expect(totalsByKind(session.readEnergy()).cpu).toBeCloseTo(14, 9)
    expect(session.warnings()).toEqual([expect.stringMatching(/package-0: package-0-die-0, package-0-die-1 read the same counter at open but later differed by 6\.000 J: they are separate counters/)])
  })
})
