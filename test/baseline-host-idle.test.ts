/**
 * The idle baseline is refused when the host's CPUs were busy while it was measured (RAPL and the CPU
 * estimate cover the whole host), and when other experiments ran on the machine before or during it
 * (a Slurm task asks the node). /proc/stat is a fake file whose counters the test advances while the
 * baseline runs: the busy share is the ticks written, not the machine's real load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { measureBaseline } from '../core/measure/baseline.js'
import { createCpuEstimateProbe } from '../plugins/probes/cpu-estimate.js'
import { createRaplProbe } from '../plugins/probes/rapl.js'
import { createFakePowercap, type FakePowercap } from './fixtures/fake-powercap.js'

let dir: string
let procStat: string
let cache: string
let pc: FakePowercap
const OPTS = { enabled: true, seconds: 0.2, ttlSeconds: 0, sampleIntervalMs: 20, idleUtilisationPct: 5 }

const writeStat = (busy: number, idle: number) => writeFileSync(procStat, `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n`)
/** The busy and idle ticks the host accrues during the baseline: written once the baseline has read
 *  its start (measureBaseline reads it before its first wait, and a 0 ms timer runs in that wait). */
const duringBaseline = (busy: number, idle: number) => setTimeout(() => writeStat(1000 + busy, 5000 + idle), 0)

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'llem-idle-'))
  procStat = path.join(dir, 'stat')
  cache = path.join(dir, 'baseline.json')
  writeStat(1000, 5000)
  pc = createFakePowercap()
  pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 0 })
})
afterEach(() => {
  pc.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

describe('the idle baseline and the host CPUs', () => {
  it('is refused when the host CPUs were busy across it (RAPL)', async () => {
    const rapl = await createRaplProbe().open({ root: pc.root, procStat })
    duringBaseline(60, 40)
    const b = await measureBaseline([rapl], OPTS, cache)
    expect(b.method).toBe('unavailable')
    expect(b.power_w).toBeNull()
    expect(b.note).toBe(`not idle during the baseline: the host CPUs were 60.0% busy across it (${procStat}, all CPUs); idle means under 5%`)
  })

  it('is refused for the CPU estimate too: its idle power would be the model at someone else’s load', async () => {
    const estimate = await createCpuEstimateProbe().open({ procStat, cores: 2 })
    duringBaseline(30, 170)
    const b = await measureBaseline([estimate], OPTS, cache)
    expect(b.method).toBe('unavailable')
    expect(b.note).toMatch(/the host CPUs were 15\.0% busy across it/)
  })

  it('is taken on idle CPUs, and says how busy they were', async () => {
    const rapl = await createRaplProbe().open({ root: pc.root, procStat })
    duringBaseline(1, 199)
    const b = await measureBaseline([rapl], OPTS, cache)
    expect(b.method).toBe('fresh')
    expect(b.note).toContain(`host CPUs 0.5% busy across it (${procStat}, all CPUs)`)
  })

  it('is refused when whether the CPUs were idle cannot be told', async () => {
    const rapl = await createRaplProbe().open({ root: pc.root, procStat: path.join(dir, 'missing') })
    const b = await measureBaseline([rapl], OPTS, cache)
    expect(b.method).toBe('unavailable')
    expect(b.note).toMatch(/cannot tell whether the host CPUs were idle \(.*missing: ENOENT\)/)
  })
})

describe('the idle baseline beside other experiments', () => {
  it('is not taken while others run, and names them', async () => {
    const rapl = await createRaplProbe().open({ root: pc.root, procStat })
    const b = await measureBaseline([rapl], { ...OPTS, othersRunning: () => 'another task of this run on node n1: task 3, pid 42' }, cache)
    expect(b.method).toBe('unavailable')
    expect(b.note).toBe('other experiments are running on this machine (another task of this run on node n1: task 3, pid 42): an idle baseline cannot be taken now')
  })

  it('is dropped when another starts while it is measured', async () => {
    const rapl = await createRaplProbe().open({ root: pc.root, procStat })
    let asked = 0
    // nobody at the start; a sibling by the time the baseline ends
    const others = () => (asked++ === 0 ? null : 'another task of this run on node n1: task 5, pid 77')
    const b = await measureBaseline([rapl], { ...OPTS, othersRunning: others }, cache)
    expect(asked).toBe(2)
    expect(b.method).toBe('unavailable')
    expect(b.note).toBe('other experiments started on this machine during the baseline (another task of this run on node n1: task 5, pid 77)')
  })
})
