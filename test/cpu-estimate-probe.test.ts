import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  cpuEstimateOptionsSchema,
  cpuEstimateProbe,
  createCpuEstimateProbe,
  parseProcStat,
} from '../plugins/probes/cpu-estimate.js'

let dir: string
let procStat: string
let clock = 0
const probe = createCpuEstimateProbe({ now: () => clock })

/** busy is spread over user/system/irq/softirq/steal, idle over idle/iowait, to exercise the parser */
function writeStat(busy: number, idle: number): void {
  const user = busy - 40
  const iowait = 10
  const line = `cpu  ${user} 0 10 ${idle - iowait} ${iowait} 10 10 10 5 0`
  writeFileSync(procStat, `${line}\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 12345\nctxt 999\n`)
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-procstat-'))
  procStat = join(dir, 'stat')
  clock = 0
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('cpu-estimate probe', () => {
  it('parses busy and idle time from the aggregate cpu line, without counting guest twice', () => {
    expect(parseProcStat('cpu  100 1 20 500 7 3 2 4 50 0\ncpu0 1 1 1 1 1 1 1 1 1 1\n')).toEqual({ busy: 130, idle: 507 })
    expect(() => parseProcStat('intr 1\n')).toThrow(/no aggregate "cpu" line/)
  })

  it('integrates the model power over the utilisation of each interval', async () => {
    const opts = { procStat, cores: 4, idleWattsPerCore: 1, maxWattsPerCore: 3 }
    writeStat(1000, 9000)
    const session = await probe.open(opts)
    expect(session.method).toBe('estimate')
    expect(session.confidence).toBe('low')
    expect(session.readEnergy()).toEqual([{ domain: 'cpu', kind: 'cpu', energy_j: 0 }])

    // 10 s at 50 %: 4 × (1 + (3 − 1) × 0.5) W × 10 s = 80 J
    clock = 10_000
    writeStat(1500, 9500)
    expect(session.readEnergy()[0].energy_j).toBeCloseTo(80, 9)

    // 5 s at 25 %: 4 × (1 + 2 × 0.25) × 5 = 30 J more
    clock = 15_000
    writeStat(1750, 10_250)
    expect(session.readEnergy()[0].energy_j).toBeCloseTo(110, 9)

    // 2 s fully idle: 4 × 1 × 2 = 8 J
    clock = 17_000
    writeStat(1750, 10_450)
    expect(session.readEnergy()[0].energy_j).toBeCloseTo(118, 9)
  })

  it('samples utilisation and the modelled power since the previous sample', async () => {
    writeStat(1000, 9000)
    const session = await probe.open({ procStat, cores: 2, idleWattsPerCore: 1, maxWattsPerCore: 4 })
    writeStat(1300, 9100) // 300 busy of 400: 75 %
    expect(session.sample()).toEqual({ cpu_util_pct: 75, cpu_estimated_power_w: 2 * (1 + 3 * 0.75) })
    expect(session.sample()).toEqual({}) // no tick elapsed: nothing invented
    session.readEnergy() // separate cursor: does not reset the sampler
    writeStat(1400, 9400) // 100 busy of 400 since the last sample
    expect(session.sample().cpu_util_pct).toBe(25)
  })

  it('says in its warnings that it is an estimate, not a measurement', async () => {
    writeStat(1000, 9000)
    const session = await probe.open({ procStat, cores: 8 })
    const warnings = session.warnings()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/estimate from .* utilisation and a per-core power model .*not a measurement/)
  })

  it('uses the documented defaults and the host CPU count', async () => {
    writeStat(1000, 9000)
    const desc = (await cpuEstimateProbe.open({ procStat })).describe()
    // the values docs/configuration.md and docs/methodology.md promise (idle 1.0 W, max 3.5 W per
    // logical CPU), written out here: comparing with the code's own constants could not catch a change
    expect(desc).toMatchObject({ method: 'estimate', cores: os.cpus().length, idle_watts_per_core: 1.0, max_watts_per_core: 3.5 })
  })

  it('is available when the stat file is readable, and says why not otherwise', async () => {
    writeStat(1000, 9000)
    expect(await cpuEstimateProbe.available({ procStat })).toMatchObject({ available: true, reason: expect.stringMatching(/not a measurement/) })
    const missing = join(dir, 'nope')
    const res = await cpuEstimateProbe.available({ procStat: missing })
    expect(res.available).toBe(false)
    expect(res.reason).toContain(missing)
    await expect(cpuEstimateProbe.open({ procStat: missing })).rejects.toMatchObject({ code: 'PROBE_FAILED' })
  })

  it('has a strict options schema', () => {
    expect(cpuEstimateOptionsSchema.safeParse({ cores: 4, idleWattsPerCore: 1, maxWattsPerCore: 3 }).success).toBe(true)
    expect(cpuEstimateOptionsSchema.safeParse({ now: () => 0 }).success).toBe(false)
    expect(cpuEstimateOptionsSchema.safeParse({ idleWattsPerCore: 5, maxWattsPerCore: 3 }).success).toBe(false)
    expect(cpuEstimateOptionsSchema.safeParse({ cores: 0 }).success).toBe(false)
  })
})
