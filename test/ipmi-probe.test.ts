/**
 * The ipmi probe through a stand-in ipmitool that prints the real `dcmi power reading` format: the
 * parse (line breaks or none after the timestamp), local and LAN invocations (the password only in
 * the child's IPMI_PASSWORD, never an argument), node energy integrated from the scripted wattage
 * against the truth, and each failure (missing tool, a refused session, a deactivated reading).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { ipmiProbe } from '../plugins/probes/bmc/ipmi.js'
import { IpmiError, parseDcmiPowerReading } from '../plugins/probes/bmc/ipmitool.js'
import { createFakeIpmitool } from './fixtures/fake-ipmitool.js'

const SECRET = 'ipmi-not-a-real-secret'
const fake = createFakeIpmitool(SECRET)
afterAll(() => fake.cleanup())
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('ipmi probe', () => {
  it('parses ipmitool\'s text, with or without a line break after the timestamp', () => {
    const text = '\n    Instantaneous power reading:                   248 Watts\n    Minimum during sampling period:                 90 Watts\n    Maximum during sampling period:                420 Watts\n    Average power reading over sample period:      240 Watts\n    IPMI timestamp:                           Mon Apr  1 10:00:00 2024\n    Sampling period:                          00000005 Seconds.\n    Power reading state is:                   activated\n\n'
    expect(parseDcmiPowerReading(text)).toEqual({ instantaneous_w: 248, minimum_w: 90, maximum_w: 420, average_w: 240, timestamp: 'Mon Apr  1 10:00:00 2024', sampling_period_sec: 5 })
    const glued = text.replace('2024\n    Sampling', '2024    Sampling')
    expect(parseDcmiPowerReading(glued).sampling_period_sec).toBe(5)
    expect(parseDcmiPowerReading(glued).timestamp).toBe('Mon Apr  1 10:00:00 2024')
    expect(() => parseDcmiPowerReading(text.replace('activated', 'deactivated'))).toThrow(/deactivated/)
    expect(() => parseDcmiPowerReading('Error: no DCMI')).toThrow(IpmiError)
  })

  it('integrates the scripted wattage of the local BMC, close to what was drawn', async () => {
    fake.setWatts(200)
    const s = await ipmiProbe.open({ command: fake.command, intervalMs: 100 })
    try {
      expect(s.method).toBe('integrated_power')
      await sleep(300)
      const a = { t: Date.now(), e: s.readEnergy()[0].energy_j }
      await sleep(400)
      fake.setWatts(600)
      await sleep(800)
      const b = { t: Date.now(), e: s.readEnergy()[0].energy_j }
      const truth = fake.truthJ(a.t, b.t)
      // one 400 W step, misplaced by up to an interval plus a spawn of the script (200 ms allowed)
      expect(Math.abs(b.e - a.e - truth)).toBeLessThan(400 * 0.3)
      expect(truth).toBeGreaterThan(400)
      expect(s.sample()).toEqual({ ipmi_node_power_w: 600 })
      expect(s.describe().bmc_averaging_interval_sec).toBe(1)
    } finally {
      await s.close()
    }
    expect(fake.argv().at(-1)).toBe('dcmi power reading')
  })

  it('over the LAN: user from its variable, password only in IPMI_PASSWORD, never on the command line', async () => {
    process.env.T_IPMI_USER = 'operator'
    process.env.T_IPMI_PASS = SECRET
    process.env.IPMITOOL_PASSWORD = 'would-take-precedence'
    try {
      const r = await ipmiProbe.available({ command: fake.command, host: '10.0.0.9', userEnv: 'T_IPMI_USER', passwordEnv: 'T_IPMI_PASS' })
      expect(r.available).toBe(true)
      expect(r.reason).toMatch(/BMC 10.0.0.9 \(lanplus\): DCMI power reading \d+ W/)
      expect(fake.argv().at(-1)).toBe('-I lanplus -H 10.0.0.9 -U operator -E dcmi power reading')
      expect(fake.argv().join('\n')).not.toContain(SECRET)
      expect(fake.passwordSeen().at(-1)).toBe('match')
      delete process.env.T_IPMI_PASS
      const missing = await ipmiProbe.available({ command: fake.command, host: '10.0.0.9', userEnv: 'T_IPMI_USER', passwordEnv: 'T_IPMI_PASS' })
      expect(missing).toEqual({ available: false, reason: expect.stringMatching(/T_IPMI_PASS is not set/) })
    } finally {
      delete process.env.T_IPMI_USER
      delete process.env.T_IPMI_PASS
      delete process.env.IPMITOOL_PASSWORD
    }
  })

  it('says why it is unavailable: no ipmitool, a failing BMC, a deactivated reading', async () => {
    expect((await ipmiProbe.available({ command: '/nonexistent/ipmitool' })).reason).toMatch(/not found: install ipmitool/)
    fake.setMode('fail')
    expect((await ipmiProbe.available({ command: fake.command })).reason).toMatch(/failed \(exit 1\): Error: Unable to establish IPMI v2/)
    fake.setMode('deactivated')
    expect((await ipmiProbe.available({ command: fake.command })).reason).toMatch(/deactivated/)
    await expect(ipmiProbe.open({ command: fake.command })).rejects.toThrow(/ipmi probe: .*deactivated/)
    fake.setMode('ok')
  })
})
