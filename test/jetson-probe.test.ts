/**
 * The jetson probe on fake sysfs trees of two boards (test/fixtures/fake-jetson.ts): a TX2 with the
 * older iio layout and a VDD_IN input rail, an AGX Orin with the hwmon layout and no input rail. The
 * expected joules are the watts the fake's files say times the seconds of an injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createJetsonProbe } from '../plugins/probes/jetson/index.js'
import { createFakeJetson, type FakeJetson } from './fixtures/fake-jetson.js'

let fake: FakeJetson | null = null
afterEach(() => {
  fake?.cleanup()
  fake = null
})
let clock = 0
const probe = createJetsonProbe({ now: () => clock })
const byDomain = <T extends { domain: string }>(rs: T[]): Record<string, T> => Object.fromEntries(rs.map((r) => [r.domain, r]))

describe('jetson probe', () => {
  it('TX2 (iio): the input rail VDD_IN is the module, the other module rails sit inside it, the carrier board beside it', async () => {
    fake = createFakeJetson('tx2')
    const w = { VDD_IN: fake.setPower('VDD_IN', 9.2), VDD_SYS_GPU: fake.setPower('VDD_SYS_GPU', 3.1), VDD_SYS_CPU: fake.setPower('VDD_SYS_CPU', 1.5), VDD_MUX: fake.setPower('VDD_MUX', 2.0) }
    const avail = await probe.available({ root: fake.root })
    expect(avail.available).toBe(true)
    expect(avail.reason).toContain('module = VDD_IN')
    clock = 0
    const s = await probe.open({ root: fake.root })
    clock = 2000
    s.readEnergy()
    clock = 5000
    const e = byDomain(s.readEnergy())
    expect(e.VDD_IN).toEqual({ domain: 'VDD_IN', kind: 'module', energy_j: expect.closeTo(w.VDD_IN * 5, 9) })
    expect(e.VDD_SYS_GPU).toEqual({ domain: 'VDD_SYS_GPU', kind: 'gpu', energy_j: expect.closeTo(w.VDD_SYS_GPU * 5, 9), contained_in: 'VDD_IN' })
    expect(e.VDD_SYS_CPU).toMatchObject({ kind: 'cpu', contained_in: 'VDD_IN', energy_j: expect.closeTo(w.VDD_SYS_CPU * 5, 9) })
    expect(e.VDD_SYS_DDR).toMatchObject({ kind: 'dram', contained_in: 'VDD_IN' })
    expect(e.VDD_SYS_SOC).toMatchObject({ kind: 'other', contained_in: 'VDD_IN' })
    expect(e.VDD_MUX).toEqual({ domain: 'VDD_MUX', kind: 'other', energy_j: expect.closeTo(w.VDD_MUX * 5, 9) })
    expect(s.method).toBe('integrated_power')
    expect(s.sample()).toMatchObject({ jetson_vdd_in_w: w.VDD_IN, jetson_vdd_sys_gpu_w: w.VDD_SYS_GPU })
  })

  it('AGX Orin (hwmon): no input rail, so the module is VDD_GPU_SOC + VDD_CPU_CV + VIN_SYS_5V0; NC channels and the shunt sum are not rails', async () => {
    fake = createFakeJetson('agx-orin')
    expect(fake.rails).toEqual(['VDD_GPU_SOC', 'VDD_CPU_CV', 'VIN_SYS_5V0', 'VDDQ_VDD2_1V8AO'])
    const gpu = fake.setPower('VDD_GPU_SOC', 21.5)
    const cpu = fake.setPower('VDD_CPU_CV', 6.25)
    const sys = fake.setPower('VIN_SYS_5V0', 4.4)
    const ddr = fake.setPower('VDDQ_VDD2_1V8AO', 1.2)
    clock = 0
    const s = await probe.open({ root: fake.root })
    clock = 1000
    s.readEnergy()
    clock = 3000
    const e = byDomain(s.readEnergy())
    expect(Object.keys(e).sort()).toEqual(['VDDQ_VDD2_1V8AO', 'VDD_CPU_CV', 'VDD_GPU_SOC', 'VIN_SYS_5V0', 'module'])
    expect(e.module).toEqual({ domain: 'module', kind: 'module', energy_j: expect.closeTo((gpu + cpu + sys) * 3, 9) })
    expect(e.VDD_GPU_SOC).toMatchObject({ kind: 'gpu', contained_in: 'module', energy_j: expect.closeTo(gpu * 3, 9) })
    expect(e.VDD_CPU_CV).toMatchObject({ kind: 'cpu', contained_in: 'module', energy_j: expect.closeTo(cpu * 3, 9) })
    // not one of the rails NVIDIA sums for this module: shown, never a component or in the total
    expect(e.VDDQ_VDD2_1V8AO).toEqual({ domain: 'VDDQ_VDD2_1V8AO', kind: 'other', energy_j: expect.closeTo(ddr * 3, 9) })
    expect(s.describe().module).toMatchObject({ domain: 'module', how: 'sum', rails: ['VDD_GPU_SOC', 'VDD_CPU_CV', 'VIN_SYS_5V0'] })
  })

  it('integrates between reads: a power change counts from the read that sees it, by trapezoid', async () => {
    fake = createFakeJetson('tx2')
    fake.setPower('VDD_IN', 4)
    clock = 0
    const s = await probe.open({ root: fake.root })
    clock = 1000
    s.readEnergy() // 4 W over [0, 1] s
    fake.setPower('VDD_IN', 10)
    clock = 2000
    // the read at 2 s sees 10 W, the one at 1 s saw 4 W: (4 + 10) / 2 x 1 s between them
    expect(byDomain(s.readEnergy()).VDD_IN).toMatchObject({ energy_j: expect.closeTo(4 + 7, 9) })
  })

  it('a failed read is bridged by the next good one, with a warning', async () => {
    fake = createFakeJetson('agx-orin')
    const gpu = fake.setPower('VDD_GPU_SOC', 10)
    clock = 0
    const s = await probe.open({ root: fake.root })
    fake.breakRail('VDD_GPU_SOC')
    clock = 1000
    s.readEnergy()
    fake.setPower('VDD_GPU_SOC', 10)
    clock = 2000
    // the same power at both good reads (0 s and 2 s): the gap is covered at it
    expect(byDomain(s.readEnergy()).VDD_GPU_SOC).toMatchObject({ energy_j: expect.closeTo(gpu * 2, 9) })
    expect(s.warnings().join('\n')).toMatch(/jetson VDD_GPU_SOC: 1 failed read\(s\) \(last: not a number/)
  })

  it('says why it is unavailable: no monitor, an unreadable rail, a moduleRails naming a rail the board lacks', async () => {
    expect(await probe.available({ root: '/nonexistent/i2c' })).toEqual({ available: false, reason: expect.stringMatching(/^no INA3221 power monitor under \/nonexistent\/i2c\/ina3221 /) })
    fake = createFakeJetson('agx-orin')
    expect((await probe.available({ root: fake.root, moduleRails: ['VDD_IN'] })).reason).toMatch(/moduleRails names rails this board does not have: VDD_IN/)
    fake.breakRail('VDD_CPU_CV')
    expect((await probe.available({ root: fake.root })).reason).toMatch(/^cannot read rail VDD_CPU_CV/)
  })
})
