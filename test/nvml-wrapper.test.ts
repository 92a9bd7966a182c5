import { rmSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { NVML_CLOCKS_EVENT, NVML_RETURN, Nvml, NvmlError, NvmlLoadError } from '../plugins/probes/nvml/nvml.js'
import { fakeNvmlLibrary, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'

let current: string
let old: string
const opened: Nvml[] = []
const scripts: string[] = []

function scriptFile(text: string): string {
  const file = writeFakeNvmlConfig(text)
  scripts.push(file)
  return file
}

beforeAll(() => {
  current = fakeNvmlLibrary('current')
  old = fakeNvmlLibrary('old')
})

afterEach(() => {
  // the fake re-reads its script only when NVML's init count is back to 0
  for (const n of opened.splice(0)) n.shutdown()
  for (const f of scripts.splice(0)) rmSync(f, { force: true })
  delete process.env.FAKE_NVML_CONFIG
})

/** open the fake with this script; returns the Nvml and the time bounds of t = 0 in performance.now() ms */
function openFake(script: string, library = current): { nvml: Nvml; t0: { lo: number; hi: number } } {
  process.env.FAKE_NVML_CONFIG = scriptFile(script)
  const lo = performance.now()
  const nvml = Nvml.open(library)
  const hi = performance.now()
  opened.push(nvml)
  return { nvml, t0: { lo, hi } }
}

function caught(f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

/** exact integral in J of a piecewise-constant trace (later segments win) over [0, T] */
function integral(idleW: number, segs: Array<[number, number, number]>, T: number): number {
  const pts = [0, T, ...segs.flatMap(([a, b]) => [a, b])].filter((x) => x >= 0 && x <= T).sort((a, b) => a - b)
  let sum = 0
  for (let i = 0; i + 1 < pts.length; i++) {
    const mid = (pts[i] + pts[i + 1]) / 2
    const seg = [...segs].reverse().find(([a, b]) => a <= mid && mid < b)
    sum += (seg ? seg[2] : idleW) * (pts[i + 1] - pts[i])
  }
  return sum
}

const H100 = 'device uuid=GPU-aaaaaaaa-0000-0000-0000-000000000001 name="NVIDIA H100 80GB HBM3" arch=9 memory_mb=81559 limit_w=700 default_limit_w=700'
const A100 =
  'device uuid=GPU-bbbbbbbb-0000-0000-0000-000000000002 name="NVIDIA A100-SXM4-40GB" arch=7 cc=8.0 memory_mb=40960 idle_w=55 limit_w=300 default_limit_w=400 persistence=0 mig=1 mig_pending=0 pcie_gen=4 pcie_width=8 temp_c=41'

describe('nvml wrapper: devices', () => {
  it('counts devices and reads names and UUIDs; finds handles by UUID', () => {
    const { nvml } = openFake(`# two GPUs\n${H100}\n${A100}\n`)
    expect(nvml.deviceCount()).toBe(2)
    const [h0, h1] = [nvml.handleByIndex(0), nvml.handleByIndex(1)]
    expect(nvml.name(h0)).toBe('NVIDIA H100 80GB HBM3')
    expect(nvml.uuid(h0)).toBe('GPU-aaaaaaaa-0000-0000-0000-000000000001')
    expect(nvml.name(h1)).toBe('NVIDIA A100-SXM4-40GB')
    expect(nvml.uuid(h1)).toBe('GPU-bbbbbbbb-0000-0000-0000-000000000002')
    const byUuid = nvml.handleByUuid('GPU-bbbbbbbb-0000-0000-0000-000000000002')
    expect(byUuid).not.toBeNull()
    expect(nvml.index(byUuid)).toBe(1)
    expect(nvml.handleByUuid('GPU-ffffffff-0000-0000-0000-000000000000')).toBeNull()
    const bad = caught(() => nvml.handleByIndex(2)) as NvmlError
    expect(bad).toBeInstanceOf(NvmlError)
    expect(bad.code).toBe(NVML_RETURN.INVALID_ARGUMENT)
    expect(bad.fn).toBe('nvmlDeviceGetHandleByIndex_v2')
  })

  it('accepts a script with no devices', () => {
    const { nvml } = openFake('# nothing here\n')
    expect(nvml.deviceCount()).toBe(0)
  })

  it('reads the snapshot getters', () => {
    const { nvml } = openFake(`${H100}\n${A100}\nprocess 0 4242 2048\nprocess 0 77 na\ndriver version=535.183.01 cuda=12020\n`)
    const a = nvml.handleByIndex(1)
    expect(nvml.temperatureC(a)).toBe(41)
    expect(nvml.utilization(a)).toEqual({ gpu: 0, memory: 0 })
    expect(nvml.memoryInfo(a)).toEqual({ total: 40960 * 2 ** 20, free: 40960 * 2 ** 20, used: 0 })
    expect(nvml.clockMhz(a, 'sm')).toBe(345)
    expect(nvml.clockMhz(a, 'graphics')).toBe(345)
    expect(nvml.clockMhz(a, 'mem')).toBe(2619)
    expect(nvml.powerLimitMw(a)).toBe(300_000)
    expect(nvml.defaultPowerLimitMw(a)).toBe(400_000)
    expect(nvml.persistenceMode(a)).toBe(false)
    expect(nvml.migMode(a)).toEqual({ current: true, pending: false })
    expect(nvml.computeCapability(a)).toEqual({ major: 8, minor: 0 })
    expect(nvml.architecture(a)).toBe(7)
    expect(nvml.pcie(a)).toEqual({ generation: 4, width: 8 })
    expect(nvml.computeProcesses(a)).toEqual([])
    const h = nvml.handleByIndex(0)
    expect(nvml.computeCapability(h)).toEqual({ major: 9, minor: 0 })
    expect(nvml.persistenceMode(h)).toBe(true)
    expect(nvml.migMode(h)).toEqual({ current: false, pending: false })
    expect(nvml.memoryInfo(h)?.used).toBe(2048 * 2 ** 20)
    expect(nvml.driverVersion()).toBe('535.183.01')
    expect(nvml.cudaDriverVersion()).toBe(12020)
    expect(nvml.supports('nvmlDeviceGetFieldValues')).toBe(true)
    expect(nvml.supports('nvmlDeviceGetTotalEnergyConsumption')).toBe(true)
    expect(nvml.supports('nvmlNoSuchThing')).toBe(false)
  })

  it('lists compute processes (sizing call first), with unknown memory as null', () => {
    const { nvml } = openFake(`${H100}\n${A100}\n${[...Array(6).keys()].map((i) => `process 0 ${1000 + i} ${i * 512}`).join('\n')}\nprocess 0 77 na\n`)
    const procs = nvml.computeProcesses(nvml.handleByIndex(0))
    expect(procs).toHaveLength(7)
    expect(procs?.[0]).toEqual({ pid: 1000, usedMemoryBytes: 0 })
    expect(procs?.[5]).toEqual({ pid: 1005, usedMemoryBytes: 5 * 512 * 2 ** 20 })
    expect(procs?.[6]).toEqual({ pid: 77, usedMemoryBytes: null })
  })
})

describe('nvml wrapper: energy counter', () => {
  it('integrates a scripted trace to within one update period', async () => {
    const segs: Array<[number, number, number]> = [
      [0, 0.3, 100],
      [0.3, Infinity, 300],
    ]
    const { nvml, t0 } = openFake(`${H100} period_ms=20 idle_w=70\npower 0 0 0.3 100\npower 0 0.3 inf 300\n`)
    const d = nvml.handleByIndex(0)
    await sleep(400)
    const lo = performance.now()
    const mj = nvml.totalEnergyMj(d)
    const hi = performance.now()
    // fake time at the read lies in [lo - t0.hi, hi - t0.lo]; the counter holds the last 20 ms boundary
    const p = 0.02
    const tLo = (lo - t0.hi) / 1000
    const tHi = (hi - t0.lo) / 1000
    const min = integral(70, segs, Math.floor(tLo / p) * p) * 1000
    const max = integral(70, segs, Math.floor(tHi / p) * p) * 1000
    expect(mj).toBeGreaterThanOrEqual(Math.floor(min) - 1)
    expect(mj).toBeLessThanOrEqual(Math.ceil(max) + 1)
    // ~0.4 s: 30 J of the 100 W phase plus 300 W since 0.3 s
    expect(mj).toBeGreaterThan(30_000 + 300 * (tLo - 0.3 - p) * 1000 - 1)
    expect(mj).toBeLessThanOrEqual(30_000 + 300 * (tHi - 0.3) * 1000 + 1)
  })

  it('moves only once an update period, by exactly one period of energy', () => {
    const { nvml } = openFake(`${H100} period_ms=100 idle_w=100\n`)
    const d = nvml.handleByIndex(0)
    const seen: number[] = []
    const start = performance.now()
    while (performance.now() - start < 330) {
      const v = nvml.totalEnergyMj(d)
      if (seen[seen.length - 1] !== v) seen.push(v)
    }
    // 100 W x 100 ms = 10 J per update, nothing in between (a stalled loop may skip an update)
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen.length).toBeLessThanOrEqual(5)
    for (const v of seen) expect(v % 10_000).toBe(0)
    seen.slice(1).forEach((v, i) => expect(v).toBeGreaterThan(seen[i]))
  })

  it('restarts from 0 at a counter reset', async () => {
    const { nvml, t0 } = openFake(`${H100} period_ms=20 idle_w=1000\ncounter_reset 0 0.1\n`)
    const d = nvml.handleByIndex(0)
    await sleep(200)
    const lo = performance.now()
    const mj = nvml.totalEnergyMj(d)
    const hi = performance.now()
    const tLo = (lo - t0.hi) / 1000
    const tHi = (hi - t0.lo) / 1000
    expect(mj).toBeGreaterThanOrEqual(Math.floor(1000 * (tLo - 0.1 - 0.02) * 1000) - 1)
    expect(mj).toBeLessThanOrEqual(Math.ceil(1000 * (tHi - 0.1) * 1000) + 1)
  })

  it('throws NOT_SUPPORTED for the counter before Volta', () => {
    const { nvml } = openFake('device name="Tesla P100-PCIE-16GB" arch=4\n')
    const d = nvml.handleByIndex(0)
    const e = caught(() => nvml.totalEnergyMj(d)) as NvmlError
    expect(e).toBeInstanceOf(NvmlError)
    expect(e.code).toBe(NVML_RETURN.NOT_SUPPORTED)
    expect(e.codeName).toBe('NOT_SUPPORTED')
    expect(e.fn).toBe('nvmlDeviceGetTotalEnergyConsumption')
    expect(e.message).toBe('nvmlDeviceGetTotalEnergyConsumption failed: NOT_SUPPORTED (3): Not Supported')
    expect(nvml.architecture(d)).toBe(4)
    expect(nvml.computeCapability(d)).toEqual({ major: 6, minor: 0 })
    expect(nvml.migMode(d)).toBeNull()
  })
})

describe('nvml wrapper: power and throttling', () => {
  it('reads instant power (scaled on purpose), field 186, and the 1 s average field 185', () => {
    const { nvml } = openFake(`${H100} idle_w=70\npower 0 0 inf 250\ninstant_scale 0 1.1\n`)
    const d = nvml.handleByIndex(0)
    expect(nvml.powerUsageMw(d)).toBe(275_000)
    expect(nvml.instantPowerMw(d)).toBe(275_000)
    expect(nvml.averagePowerMw(d)).toBe(250_000)
    expect(nvml.fieldValue(d, 999)).toBeNull()
    expect(nvml.utilization(d)).toEqual({ gpu: 95, memory: 60 })
    expect(nvml.clockMhz(d, 'sm')).toBe(1980)
  })

  it('reports scripted and default clocks-event reasons', () => {
    const { nvml } = openFake(`${H100}\n${H100.replace('0001', '0003')}\n${H100.replace('0001', '0004')}\nthrottle 0 0 inf 0x24\npower 2 0 inf 400\nutil 2 0 inf 50 20\ntemp 2 0 inf 83\n`)
    const [d0, d1, d2] = [0, 1, 2].map((i) => nvml.handleByIndex(i))
    expect(nvml.clocksEventReasons(d0)).toBe(NVML_CLOCKS_EVENT.SW_POWER_CAP | NVML_CLOCKS_EVENT.SW_THERMAL_SLOWDOWN)
    expect(nvml.clocksEventReasons(d1)).toBe(NVML_CLOCKS_EVENT.GPU_IDLE)
    expect(nvml.clocksEventReasons(d2)).toBe(0)
    expect(nvml.utilization(d2)).toEqual({ gpu: 50, memory: 20 })
    expect(nvml.temperatureC(d2)).toBe(83)
    expect(nvml.temperatureC(d1)).toBe(35)
  })
})

describe('nvml wrapper: old driver', () => {
  it('returns null for what the driver lacks and falls back to the throttle-reasons symbol', () => {
    const { nvml } = openFake(`${H100}\nthrottle 0 0 inf 0x4\npower 0 0 inf 300\nprocess 0 1 100\n`, old)
    const d = nvml.handleByIndex(0)
    for (const fn of [
      'nvmlDeviceGetFieldValues',
      'nvmlDeviceGetCurrentClocksEventReasons',
      'nvmlDeviceGetMigMode',
      'nvmlDeviceGetComputeRunningProcesses_v3',
      'nvmlDeviceGetArchitecture',
    ]) {
      expect(nvml.supports(fn)).toBe(false)
      expect(nvml.bindings.missing).toContain(fn)
    }
    expect(nvml.supports('nvmlDeviceGetCurrentClocksThrottleReasons')).toBe(true)
    expect(nvml.instantPowerMw(d)).toBeNull()
    expect(nvml.averagePowerMw(d)).toBeNull()
    expect(nvml.migMode(d)).toBeNull()
    expect(nvml.computeProcesses(d)).toBeNull()
    expect(nvml.architecture(d)).toBeNull()
    expect(nvml.clocksEventReasons(d)).toBe(0x4)
    expect(nvml.powerUsageMw(d)).toBe(300_000)
    expect(nvml.totalEnergyMj(d)).toBeGreaterThanOrEqual(0)
    expect(nvml.name(d)).toBe('NVIDIA H100 80GB HBM3')
  })
})

describe('nvml wrapper: failures', () => {
  it('throws GPU_IS_LOST from the counter and from optional getters once the GPU is lost', async () => {
    // lost 0.5 s after init: the first read (right after it) works however long a loaded machine keeps
    // this process off its core, up to 0.5 s; the reads after the sleep come more than 0.5 s after init
    const { nvml } = openFake(`${H100}\n${A100}\nlost 0 0.5\n`)
    const [d0, d1] = [nvml.handleByIndex(0), nvml.handleByIndex(1)]
    expect(nvml.totalEnergyMj(d0)).toBeGreaterThanOrEqual(0)
    await sleep(600)
    for (const call of [
      () => nvml.totalEnergyMj(d0),
      () => nvml.temperatureC(d0),
      () => nvml.instantPowerMw(d0),
      () => nvml.powerUsageMw(d0),
      () => nvml.clocksEventReasons(d0),
      () => nvml.memoryInfo(d0),
      () => nvml.computeProcesses(d0),
      () => nvml.name(d0),
      () => nvml.handleByIndex(0),
    ]) {
      const e = caught(call) as NvmlError
      expect(e).toBeInstanceOf(NvmlError)
      expect(e.code).toBe(15)
      expect(e.codeName).toBe('GPU_IS_LOST')
    }
    expect((caught(() => nvml.totalEnergyMj(d0)) as Error).message).toBe('nvmlDeviceGetTotalEnergyConsumption failed: GPU_IS_LOST (15): GPU is lost')
    // the other GPU is fine
    expect(nvml.totalEnergyMj(d1)).toBeGreaterThan(0)
    expect(nvml.temperatureC(d1)).toBe(41)
  })

  it('names the library it cannot load', () => {
    const e = caught(() => Nvml.open('/nonexistent/llem/libnvidia-ml.so.1')) as NvmlLoadError
    expect(e).toBeInstanceOf(NvmlLoadError)
    expect(e.library).toBe('/nonexistent/llem/libnvidia-ml.so.1')
    expect(e.message).toMatch(/^cannot load \/nonexistent\/llem\/libnvidia-ml\.so\.1 \(no NVIDIA driver installed, or not on the loader path; set probes\.nvml\.library\): Failed to load shared library/)
    const bare = caught(() => Nvml.open('libllem-no-such-nvml.so.1')) as NvmlLoadError
    expect(bare).toBeInstanceOf(NvmlLoadError)
    expect(bare.message).toContain('cannot load libllem-no-such-nvml.so.1 ')
  })

  it('fails init with DRIVER_NOT_LOADED when the fake has no script', () => {
    delete process.env.FAKE_NVML_CONFIG
    const e = caught(() => Nvml.open(current)) as NvmlError
    expect(e).toBeInstanceOf(NvmlError)
    expect(e.code).toBe(NVML_RETURN.DRIVER_NOT_LOADED)
    expect(e.codeName).toBe('DRIVER_NOT_LOADED')
    expect(e.fn).toBe('nvmlInit_v2')
    process.env.FAKE_NVML_CONFIG = '/nonexistent/llem/fake-nvml.conf'
    expect((caught(() => Nvml.open(current)) as NvmlError).code).toBe(NVML_RETURN.DRIVER_NOT_LOADED)
  })

  it('fails init with UNKNOWN on a script error', () => {
    process.env.FAKE_NVML_CONFIG = scriptFile(`${H100}\npower 0 zero 1 100\n`)
    const e = caught(() => Nvml.open(current)) as NvmlError
    expect(e.code).toBe(NVML_RETURN.UNKNOWN)
  })

  it('is idempotent on shutdown and counts inits like NVML', () => {
    const { nvml: a } = openFake(`${H100}\n`)
    const b = Nvml.open(current)
    a.shutdown()
    a.shutdown()
    expect(b.deviceCount()).toBe(1)
    b.shutdown()
    expect((caught(() => a.deviceCount()) as NvmlError).code).toBe(NVML_RETURN.UNINITIALIZED)
  })
})
