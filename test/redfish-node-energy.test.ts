/**
 * Node energy from a scripted BMC compared with what its node drew: the counter (EnvironmentMetrics
 * EnergyJoules / EnergykWh) differenced, and the power readings integrated (the older Power schema's
 * PowerConsumedWatts), over a load that steps between four wattages; also with a slow BMC. The
 * bounds come from the scenario: integrating readings taken every I ms misplaces each step by up to
 * one interval (plus the request's round trip), |dP| x (I + rtt) / 2 per step; the counter only
 * errs by the dating of its two edge readings, where the power is constant.
 */
import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import type { ProbeSession } from '../core/probes/types.js'
import { redfishProbe } from '../plugins/probes/bmc/redfish.js'
import { startRedfishServer, type RedfishScript, type RedfishServer } from './fixtures/redfish-server.js'
import { requireTool } from './fixtures/required-tool.js'

const ok = requireTool('redfish-node-energy', (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})(), 'openssl is not installed', 'apt-get install openssl')

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())))
const INTERVAL = 100

let bmc: RedfishServer | undefined
let session: ProbeSession | undefined
afterEach(async () => {
  await session?.close()
  await bmc?.close()
  session = bmc = undefined
})

/** Runs the stepped load; energy read at A (0.3 s in) and B (2.3 s in), both away from any step. */
async function measure(script: Partial<RedfishScript>) {
  bmc = await startRedfishServer({ steps: [{ at: 0, w: 300 }], user: 'u', password: 'not-a-real-secret', ...script })
  process.env.RF_T_USER = 'u'
  process.env.RF_T_PASS = 'not-a-real-secret'
  session = await redfishProbe.open({ url: bmc.url, caFile: bmc.certFile, userEnv: 'RF_T_USER', passwordEnv: 'RF_T_PASS', intervalMs: INTERVAL, timeoutMs: 3000 })
  // the load starts once the probe is open (discovery takes several answers from a slow BMC)
  const t0 = Date.now() + 100
  const steps = [{ at: 0, w: 300 }, { at: t0 + 700, w: 800 }, { at: t0 + 1300, w: 200 }, { at: t0 + 1900, w: 500 }]
  bmc.script.steps = steps
  await sleepUntil(t0 + 300)
  const a = { t: Date.now(), e: session.readEnergy()[0].energy_j }
  await sleepUntil(t0 + 2300)
  const b = { t: Date.now(), e: session.readEnergy()[0].energy_j }
  const truth = bmc.truthJ(a.t, b.t)
  const stepsInside = steps.filter((s) => s.at > a.t && s.at < b.t)
  const dP = stepsInside.reduce((acc, s, i) => acc + Math.abs(s.w - (i === 0 ? 300 : stepsInside[i - 1].w)), 0)
  return { energy: b.e - a.e, truth, dP, session }
}

describe.skipIf(!ok)('node energy from a scripted Redfish BMC', () => {
  it('EnvironmentMetrics with an energy counter: differenced, close to the truth', async () => {
    const m = await measure({ schema: 'EnvironmentMetrics', energy: 'joules' })
    expect(m.session.method).toBe('counter')
    // edges at 300 W and 500 W: misdated by at most a round trip (a few ms on loopback; 50 ms allowed)
    expect(Math.abs(m.energy - m.truth)).toBeLessThan((300 + 500) * 0.05)
    expect(m.truth).toBeGreaterThan(800)
  })

  it('EnergykWh at 1e-9 kWh is a counter too (3.6 mJ steps)', async () => {
    const m = await measure({ schema: 'EnvironmentMetrics', energy: 'kWh', kwhDecimals: 9 })
    expect(m.session.method).toBe('counter')
    expect(Math.abs(m.energy - m.truth)).toBeLessThan((300 + 500) * 0.05)
    const d = m.session.describe()
    expect(d.energy_property).toBe('EnergykWh')
    expect(d.bmc_sensing_interval_ms).toBe(100) // the sensor's SensingInterval PT0.1S
  })

  it('the older Power schema: PowerConsumedWatts integrated, within the bound its interval sets; the averaging window recorded', async () => {
    const m = await measure({ schema: 'Power', intervalInMin: 5 })
    expect(m.session.method).toBe('integrated_power')
    // the integral misplaces each step by up to an interval and a round trip (timers late by up to 50 ms)
    expect(Math.abs(m.energy - m.truth)).toBeLessThan((m.dP * (INTERVAL + 50)) / 1000 / 2 + 5)
    expect(m.session.describe().bmc_averaging_interval_sec).toBe(300)
    expect(m.session.sample()).toEqual({ redfish_node_power_w: 500 })
  })

  it('a slow BMC (250 ms per answer, 100 ms asked): readings come no faster than it answers, and it is said', async () => {
    const m = await measure({ schema: 'Power', delayMs: 250 })
    // readings 350 ms apart, each dated at its request's midpoint: up to 125 ms from when the BMC read it
    const period = 250 + INTERVAL
    expect(Math.abs(m.energy - m.truth)).toBeLessThan((m.dP * (period / 2 + 250 / 2 + 25)) / 1000 + 5)
    expect(m.session.warnings().join('\n')).toMatch(/took \d+ ms on average to answer/)
  })

  it('a BMC that stops answering: the window it misses is not covered, and the failures are counted', async () => {
    const m = await measure({ schema: 'Power' })
    bmc!.script.failStatus = 500
    const from = performance.now()
    await new Promise((r) => setTimeout(r, INTERVAL * 6))
    const to = performance.now()
    expect(m.session.coverage!(from, to)).toMatch(/no reading for .* inside the window.*HTTP 500/)
    expect(m.session.warnings().join('\n')).toMatch(/failed read/)
  })
})
