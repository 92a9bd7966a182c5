/**
 * The compute-process list across driver versions: early R535 drivers write 32-byte entries where
 * every other driver writes 24, under the same function name. The fake driver writes the layout its
 * scripted `driver version=` has; more than 12 processes is where a 24-byte-sized buffer overflows.
 */
import { rmSync } from 'node:fs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Nvml } from '../plugins/probes/nvml/nvml.js'
import { processInfoLayout } from '../plugins/probes/nvml/processes.js'
import { fakeNvmlLibrary, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'

let library: string
const opened: Nvml[] = []
const scripts: string[] = []

beforeAll(() => {
  library = fakeNvmlLibrary('current')
})

afterEach(() => {
  for (const n of opened.splice(0)) n.shutdown()
  for (const f of scripts.splice(0)) rmSync(f, { force: true })
  delete process.env.FAKE_NVML_CONFIG
})

/** 20 processes, each with its own pid and memory, on a GPU of a driver of this version */
const PIDS = Array.from({ length: 20 }, (_, i) => 3000 + 17 * i)
const memoryMb = (i: number) => 256 * (i + 1)
function openWithProcesses(driver: string): Nvml {
  const script = ['device uuid=GPU-procs name="NVIDIA H100 80GB HBM3" arch=9', `driver version=${driver} cuda=12020`, ...PIDS.map((pid, i) => `process 0 ${pid} ${memoryMb(i)}`), 'process 0 9999 na']
  const file = writeFakeNvmlConfig(script.join('\n') + '\n')
  scripts.push(file)
  process.env.FAKE_NVML_CONFIG = file
  const nvml = Nvml.open(library)
  opened.push(nvml)
  return nvml
}

const expected = [...PIDS.map((pid, i) => ({ pid, usedMemoryBytes: memoryMb(i) * 2 ** 20 })), { pid: 9999, usedMemoryBytes: null }]

describe('nvml compute processes', () => {
  it('reads every one of 21 processes from a driver that writes 32-byte entries (535.54)', () => {
    const nvml = openWithProcesses('535.54.03')
    expect(nvml.computeProcesses(nvml.handleByIndex(0))).toEqual(expected)
  })

  it('reads every one of 21 processes from drivers that write 24-byte entries (525, 535.104, 550)', () => {
    for (const driver of ['525.147.05', '535.104.05', '550.54.15']) {
      const nvml = openWithProcesses(driver)
      expect(nvml.computeProcesses(nvml.handleByIndex(0)), driver).toEqual(expected)
      nvml.shutdown()
    }
  })

  it('the fake driver lays its entries out as its version says', () => {
    // the raw call, as a driver of each version answers it: the second pid sits one entry further on
    for (const [driver, stride] of [['535.54.03', 32], ['550.54.15', 24]] as const) {
      const nvml = openWithProcesses(driver)
      const count = new Uint32Array([PIDS.length + 1])
      const buf = Buffer.alloc((PIDS.length + 1) * 32)
      expect(nvml.bindings.nvmlDeviceGetComputeRunningProcesses_v3!(nvml.handleByIndex(0), count, buf)).toBe(0)
      expect(buf.readUInt32LE(stride)).toBe(PIDS[1])
      const v2 = Buffer.alloc((PIDS.length + 1) * 24)
      expect(nvml.bindings.nvmlDeviceGetComputeRunningProcesses_v2!(nvml.handleByIndex(0), count, v2)).toBe(0)
      expect(v2.readUInt32LE(24)).toBe(PIDS[1])
      nvml.shutdown()
    }
  })

  it('picks the call and entry width from the driver version', () => {
    const both = { v3: true, v2: true }
    expect(processInfoLayout('535.54.03', both)).toEqual({ fn: 'nvmlDeviceGetComputeRunningProcesses_v3', size: 32 })
    expect(processInfoLayout('535.86.10', both)?.size).toBe(32)
    expect(processInfoLayout('535.104.05', both)?.size).toBe(24)
    expect(processInfoLayout('530.30.02', both)?.size).toBe(24)
    expect(processInfoLayout('550.54.15', both)?.size).toBe(24)
    // 535.98 has no _v3; an unreadable version cannot tell _v3's layout: _v2's is fixed
    expect(processInfoLayout('535.98', { v3: false, v2: true })).toEqual({ fn: 'nvmlDeviceGetComputeRunningProcesses_v2', size: 24 })
    expect(processInfoLayout(null, both)).toEqual({ fn: 'nvmlDeviceGetComputeRunningProcesses_v2', size: 24 })
    expect(processInfoLayout(null, { v3: true, v2: false })).toBeNull()
  })
})
