/**
 * The amdsmi probe's energy over a window against the fake library's physical truth: a 32-bit
 * firmware counter that wraps inside the window, and an MI250-style package whose two dies report one
 * shared counter, one each, or (firmware Zeus documents) the package's on the first die and 0 W with a
 * counter that never moves on the second. The truth is the scripted power x the time between the
 * window's two counter timestamps; the tolerance is one counter update at that power at each edge
 * plus a tick (the resolution).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ProbeSession } from '../core/probes/types.js'
import { amdsmiProbe } from '../plugins/probes/amdsmi/index.js'
import { EnergyAccumulator } from '../plugins/probes/amdsmi/counter.js'
import { fakeAmdSmiLibrary, writeFakeAmdSmiConfig } from './fixtures/fake-amdsmi/build.js'

let library: string
let session: ProbeSession | undefined
beforeAll(() => {
  library = fakeAmdSmiLibrary()
})
afterEach(async () => {
  await session?.close()
  session = undefined
  delete process.env.FAKE_AMDSMI_CONFIG
  delete process.env.ROCR_VISIBLE_DEVICES
})

async function windowJoules(script: string, seconds: number) {
  process.env.FAKE_AMDSMI_CONFIG = writeFakeAmdSmiConfig(script)
  session = await amdsmiProbe.open({ library })
  const t0 = performance.now()
  const e0 = session.readEnergy({ fresh: true })
  await sleep(seconds * 1000)
  const e1 = session.readEnergy({ fresh: true })
  const wall = (performance.now() - t0) / 1000
  const counted = e1.filter((d) => !d.contained_in).reduce((a, d) => a + d.energy_j - e0.find((x) => x.domain === d.domain)!.energy_j, 0)
  return { counted, wall, e1, warnings: session.warnings() }
}

// 1 ms counter updates: each edge is off by at most 1 ms of power, and a read lands within ~1 ms of the wall clock's
const tolerance = (watts: number) => 2 * watts * 0.002 + 15.3e-6

describe('amdsmi probe: counter layouts', () => {
  it('a 32-bit counter that wraps in the window is added back, once', async () => {
    // 500 W is 32.7 M ticks/s: starting 6 M ticks below 2^32, the counter wraps about 0.2 s in
    const start = 2 ** 32 - 6_000_000
    const { counted, wall, warnings } = await windowJoules(`gpu name="AMD Instinct MI100" counter_bits=32 counter_start=${start} period_ms=1 idle_w=500\n`, 0.6)
    expect(warnings.join('\n')).toMatch(/wrapped at 2\^32 ticks 1 time/)
    expect(Math.abs(counted - 500 * wall)).toBeLessThan(tolerance(500) + 500 * 0.01)
  })

  it('MI250: two dies on one shared counter are counted once', async () => {
    const script = 'socket 0 shared_counter=1\ngpu name="AMD Instinct MI250X" socket=0 idle_w=200\ngpu name="AMD Instinct MI250X" socket=0 idle_w=300\n'
    const { counted, wall, e1, warnings } = await windowJoules(script, 0.5)
    // the package draws 200 + 300 W; counting each die's view of the package counter would give 1000 W
    expect(counted / wall).toBeGreaterThan(500 * 0.98)
    expect(counted / wall).toBeLessThan(500 * 1.02)
    expect(e1.filter((d) => d.contained_in)).toHaveLength(1)
    expect(warnings.join('\n')).toContain('report one energy counter, the package')
  })

  it('MI250: two dies with a counter each are both counted', async () => {
    const script = 'gpu name="AMD Instinct MI250X" socket=0 idle_w=200\ngpu name="AMD Instinct MI250X" socket=0 idle_w=300\n'
    const { counted, wall, e1 } = await windowJoules(script, 0.5)
    expect(counted / wall).toBeGreaterThan(500 * 0.98)
    expect(counted / wall).toBeLessThan(500 * 1.02)
    expect(e1.filter((d) => d.contained_in)).toHaveLength(0)
  })

  it('one die of a shared package pinned: its reading is the package, and the result says so', async () => {
    process.env.ROCR_VISIBLE_DEVICES = '1'
    const script = 'socket 0 shared_counter=1\ngpu name="AMD Instinct MI250X" socket=0 idle_w=200\ngpu name="AMD Instinct MI250X" socket=0 idle_w=300\n'
    const { counted, wall, warnings } = await windowJoules(script, 0.4)
    expect(counted / wall).toBeGreaterThan(500 * 0.98)
    expect(counted / wall).toBeLessThan(500 * 1.02)
    expect(warnings.join('\n')).toContain('also counts processor 0, which this experiment does not use')
  })

  const FIRST_DIE = 'socket 0 shared_counter=first\ngpu name="AMD Instinct MI250X" socket=0 idle_w=200\ngpu name="AMD Instinct MI250X" socket=0 idle_w=300\n'

  it('MI250 with the package on the first die: both dies pinned, the package counted once', async () => {
    const { counted, wall, e1, warnings } = await windowJoules(FIRST_DIE, 0.5)
    expect(counted / wall).toBeGreaterThan(500 * 0.98)
    expect(counted / wall).toBeLessThan(500 * 1.02)
    expect(e1.filter((d) => d.contained_in)).toHaveLength(1)
    expect(warnings.join('\n')).toMatch(/processor 0 \(.*\) reports its package's energy counter and power, and processor 1 \(.*\) 0 W with a counter that does not move/)
  })

  it('MI250 with the package on the first die: the second die pinned alone reads the package, not 0 W', async () => {
    // before, this read the second die's own counter, which never moves: ~0 J for a 500 W package
    process.env.ROCR_VISIBLE_DEVICES = '1'
    const { counted, wall, warnings } = await windowJoules(FIRST_DIE, 0.4)
    expect(counted / wall).toBeGreaterThan(500 * 0.98)
    expect(counted / wall).toBeLessThan(500 * 1.02)
    expect(warnings.join('\n')).toContain('also counts processor 0, which this experiment does not use')
    // its power column is the package's too: the cross-check against the counter has the same scope
    const power = Object.entries(session!.sample({ full: true })).find(([k]) => k.endsWith('_power_w'))
    expect(power?.[1]).toBe(500)
  })

  it('a die that reads 0 W beside one that counts, on different sockets: nothing is shared', async () => {
    const script = 'gpu name="AMD Instinct MI250X" socket=0 idle_w=200\ngpu name="AMD Instinct MI250X" socket=1 idle_w=300\n'
    const { e1, warnings } = await windowJoules(script, 0.2)
    expect(e1.filter((d) => d.contained_in)).toHaveLength(0)
    expect(warnings.join('\n')).not.toMatch(/package/)
  })

  it('a 64-bit counter going backwards is a restart, not a wrap: counted from zero', () => {
    // ticks of 1 uJ: 2^33 then, 10 ms later, 1000 ticks after a driver reload
    const a = new EnergyAccumulator(2n ** 33n, 0, 1)
    expect(a.update(2n ** 33n + 4000n, 5)).toBeCloseTo(0.004, 12)
    expect(a.update(1000n, 15)).toBeCloseTo(0.005, 12)
    expect([a.wraps, a.resets]).toEqual([0, 1])
    // a 32-bit value far below the last, 1 ms later: a wrap would mean ~3 GJ/s, so it is a restart too
    const b = new EnergyAccumulator(3_000_000_000n, 0, 15.3)
    b.update(10n, 1)
    expect([b.wraps, b.resets]).toEqual([0, 1])
  })
})
