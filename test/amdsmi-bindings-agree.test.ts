/**
 * AMD's own Python package for AMD SMI (amdsmi 6.2.2, pinned in requirements/peers.txt) and llem's
 * AMD SMI wrapper read the same fake libamd_smi.so under the same script: every value llem's probe
 * reports must be what AMD's ctypes declarations read. The scripted truths (500 J and 500 W on one
 * GPU, a 400 W x 0.25 s burst on 100 W idle = 175 J, one MI250X package counter of 550 J counted
 * across its 32-bit wrap, a GPU gone from the bus) are checked on both sides.
 * test/amdsmi-declared-layouts.test.ts holds the declarations themselves to AMD's.
 * Under CI a missing env fails (test/fixtures/python-envs.ts), never skips.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { AMDSMI_TRUTH, compareAmdSmiBindings, counterJoules, ENERGY_TOLERANCE_J, PACKAGE_COUNTER, type AmdComparison } from './fixtures/peers/amdsmi-bindings.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

describe('llem and AMD amdsmi on the same AMD SMI library', () => {
  let c: AmdComparison
  beforeAll(() => {
    c = compareAmdSmiBindings(pythonEnv('peers'))
  }, ENV_BUILD_TIMEOUT_MS)

  it('the amdsmi package loaded the fake library llem opened', () => {
    expect(c.amdsmiVersion).toBe('6.2.2.post0')
    expect(c.libraries.amdsmi).toBe(c.libraries.llem)
  })

  it('every value agrees, processor by processor', () => {
    expect(c.amd).toHaveLength(5)
    expect(c.rows.length).toBeGreaterThan(70)
    expect(c.rows.filter((r) => !r.agree)).toEqual([])
  })

  it('both read the scripted physical truth', () => {
    for (const side of [c.llem, c.amd]) {
      expect(Math.abs(counterJoules(side[0])! - AMDSMI_TRUTH.processor0EnergyJ)).toBeLessThanOrEqual(ENERGY_TOLERANCE_J)
      expect((side[0].power as { currentW: number }).currentW).toBe(AMDSMI_TRUTH.processor0CurrentW)
      expect(Math.abs(counterJoules(side[1])! - AMDSMI_TRUTH.processor1EnergyJ)).toBeLessThanOrEqual(ENERGY_TOLERANCE_J)
      expect((side[1].power as { averageW: number }).averageW).toBe(AMDSMI_TRUTH.processor1AverageW)
      // one package counter, wrapped past 2^32, the same on both dies; metrics 1.3 has no current socket power
      expect(side[2].energy).toEqual(side[3].energy)
      expect(BigInt((side[2].energy as { ticks: string }).ticks)).toBeLessThan(BigInt(PACKAGE_COUNTER.start))
      expect(Math.abs(counterJoules(side[2], PACKAGE_COUNTER.start, PACKAGE_COUNTER.bits)! - AMDSMI_TRUTH.packageEnergyJ)).toBeLessThanOrEqual(ENERGY_TOLERANCE_J)
      expect((side[2].power as { currentW: number | null }).currentW).toBeNull()
      expect(side[2].indep_throttle_status).toBe(String(0x24))
      expect([side[0].bdf, side[1].bdf]).toEqual(['0000:0c:00.0', '0001:83:1f.7'])
      expect(side[4].uuid).toEqual({ error: 'AMDSMI_STATUS_NOT_FOUND' })
      expect(side[4].energy).toEqual({ error: 'AMDSMI_STATUS_NOT_FOUND' })
    }
  })
})
