/**
 * llem's AMD SMI wrapper against the fake libamd_smi (compiled from C at test time with the structs
 * and signatures of ROCm 6.2.2's amdsmi.h): every value read back is the one the script set, the
 * energy accumulator is the exact integral of the scripted power up to the counter's own timestamp,
 * the all-ones "not in this metrics table" words read as null, and failures carry the status name
 * and the library's own text.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AmdSmi, AmdSmiError } from '../plugins/probes/amdsmi/amdsmi.js'
import { fakeAmdSmiLibrary, writeFakeAmdSmiConfig } from './fixtures/fake-amdsmi/build.js'

let lib: string
let open: AmdSmi[] = []
beforeAll(() => {
  lib = fakeAmdSmiLibrary()
})
afterEach(() => {
  for (const s of open) s.shutdown()
  open = []
  delete process.env.FAKE_AMDSMI_CONFIG
})

function start(script: string): AmdSmi {
  process.env.FAKE_AMDSMI_CONFIG = writeFakeAmdSmiConfig(script)
  const s = AmdSmi.open(lib)
  open.push(s)
  return s
}

const MI300X = 'gpu name="AMD Instinct MI300X" serial=0x7be23b1c9c3a1a2f device_id=0x74a1 bdf=0000:0c:00.0 idle_w=140 memory_mb=196592 temp_c=41 gfx_mhz=2100 mem_mhz=1300'
const MI210 = 'gpu name="AMD Instinct MI210" socket=1 serial=0x00000000000000ab device_id=0x740f bdf=0001:83:00.0 idle_w=40 current_power=0'

describe('AMD SMI wrapper on the fake library', () => {
  it('enumerates sockets and processors and reads identity as AMD SMI 6.2.2 forms it', () => {
    const s = start(`${MI300X}\n${MI210}\n`)
    const p = s.processors()
    expect(p.map((x) => x.socket)).toEqual([0, 1])
    // amdsmi's UUID: serial byte 7, 0xff, device id | 0000 | version 1 | variant 2 + serial byte 6 | serial bytes 5-0
    expect(s.uuid(p[0].handle)).toBe('7bff74a1-0000-1000-80e2-3b1c9c3a1a2f')
    expect(s.uuid(p[1].handle)).toBe('00ff740f-0000-1000-8000-0000000000ab')
    expect(s.bdf(p[0].handle)).toBe('0000:0c:00.0')
    expect(s.bdf(p[1].handle)).toBe('0001:83:00.0')
    expect(s.asicInfo(p[0].handle)).toEqual({ marketName: 'AMD Instinct MI300X', deviceId: 0x74a1, serial: '7be23b1c9c3a1a2f' })
    expect(s.memory(p[0].handle).total).toBe(196592 * 1048576)
    expect(s.temperatureC(p[0].handle)).toBe(41)
  })

  it('the accumulator x its resolution is the scripted energy up to the counter timestamp', async () => {
    const s = start(`${MI300X} period_ms=10\npower 0 0 inf 500\n`)
    const h = s.processors()[0].handle
    await sleep(120)
    const c = s.energyCount(h)
    expect(c.resolutionUj).toBeCloseTo(15.3, 5)
    const seconds = Number(c.timestampNs) / 1e9
    expect(seconds).toBeGreaterThan(0.1)
    // the timestamp is an update instant (a multiple of 10 ms), and the ticks are 500 W over it, in whole 15.3 uJ ticks
    expect(Math.round(seconds * 1000) % 10).toBe(0)
    expect(Number(c.ticks)).toBe(Math.floor((500 * seconds * 1e6) / 15.3))
  })

  it('socket power, activity, clocks and throttle bits follow the trace; absent metrics read null', () => {
    const s = start(`${MI300X}\n${MI210}\npower 0 0 inf 612\nutil 0 0 inf 88 41\nthrottle 0 0 inf 0x1000000001\n`)
    const [a, b] = s.processors().map((x) => x.handle)
    expect(s.powerInfo(a)?.currentW).toBe(612)
    expect(s.activity(a)).toEqual({ gfx: 88, umc: 41, mm: 0 })
    expect(s.clockMhz(a, 'gfx')).toBe(2100)
    expect(s.clockMhz(a, 'mem')).toBe(1300)
    expect(s.throttleStatus(a)).toBe(0x1000000001n)
    // an MI210's metrics table (1.3) has no instant socket power: 0xFFFF in the struct, null here
    expect(s.powerInfo(b)?.currentW).toBeNull()
    expect(s.powerInfo(b)?.averageW).toBe(40)
  })

  it('failures name the status and carry amdsmi_status_code_to_string', async () => {
    delete process.env.FAKE_AMDSMI_CONFIG
    expect(() => AmdSmi.open(lib)).toThrow(/amdsmi_init failed: DRIVER_NOT_LOADED \(34\): AMDSMI_STATUS_DRIVER_NOT_LOADED: Processor driver not loaded/)
    // lost 0.5 s after init: the first read (right after it) works however long a loaded machine keeps
    // this process off its core, up to 0.5 s; the second comes more than 0.5 s after init
    const s = start(`${MI300X}\nlost 0 0.5\n`)
    const h = s.processors()[0].handle
    s.energyCount(h)
    await sleep(600)
    let err: unknown
    try {
      s.energyCount(h)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(AmdSmiError)
    expect((err as AmdSmiError).codeName).toBe('NOT_FOUND')
    expect(String(err)).toContain('Device Not found')
  })
})
