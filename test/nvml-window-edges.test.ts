/**
 * The nvml probe at the window's edges, against the fake driver. Between timeline ticks the probe may
 * reuse a counter reading younger than its update period, and read slow columns only every 50 ms; the
 * window's first and closing reads must do neither. performance.now() is frozen after the probe opens,
 * so to the probe no time passes between the two edges, while the fake's counter keeps moving on the
 * real clock: a reused reading shows up as no energy at all.
 */
import { rmSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { Timeline } from '../core/measure/timeline.js'
import type { ProbeSession } from '../core/probes/types.js'
import { nvmlProbe } from '../plugins/probes/nvml/index.js'
import { fakeNvmlLibrary, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'

let library: string
let session: ProbeSession | undefined
let script: string | undefined

beforeAll(() => {
  library = fakeNvmlLibrary('current')
})

afterEach(async () => {
  vi.restoreAllMocks()
  await session?.close()
  session = undefined
  if (script) rmSync(script, { force: true })
  delete process.env.FAKE_NVML_CONFIG
})

/** A 300 W GPU whose counter updates every 20 ms, power-capped (0x4) the whole time. */
async function openProbe(): Promise<ProbeSession> {
  script = writeFakeNvmlConfig('device uuid=GPU-edges name="Edge GPU" arch=9 period_ms=20 idle_w=70\npower 0 0 inf 300\nthrottle 0 0 inf 0x4\n')
  process.env.FAKE_NVML_CONFIG = script
  session = await nvmlProbe.open({ library })
  return session
}

describe('nvml probe at the window edges', () => {
  it('the closing read asks the counter, never a reading cached within its update period', async () => {
    const s = await openProbe()
    const frozen = performance.now()
    vi.spyOn(performance, 'now').mockReturnValue(frozen)
    const timeline = new Timeline([s])
    const e0 = timeline.start(60_000)
    // at least 100 ms of real time: the counter moves by 4 or more whole 20 ms periods at 300 W (24 J);
    // asking for 3 leaves room for the timer and the counter's millijoule rounding
    await sleep(100)
    const e1 = timeline.stop()
    const joules = e1.domains['nvml:GPU-edges'].energy_j - e0.domains['nvml:GPU-edges'].energy_j
    expect(joules).toBeGreaterThanOrEqual(300 * 0.06)
  })

  it("the window's first row carries the slow columns, even right after another full read", async () => {
    const s = await openProbe()
    const frozen = performance.now()
    vi.spyOn(performance, 'now').mockReturnValue(frozen)
    // a full read (temperature, throttle reasons, ...) just before the window opens
    expect(s.sample()).toHaveProperty('gpu0_clocks_event_reasons', 0x4)
    const timeline = new Timeline([s])
    timeline.start(60_000)
    timeline.stop()
    // the reasons in force when the window opened, and when it closed
    expect(timeline.rows.map((r) => r.values.gpu0_clocks_event_reasons)).toEqual([0x4, 0x4])
  })
})
