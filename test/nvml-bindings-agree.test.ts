/**
 * NVIDIA's own NVML bindings (nvidia-ml-py, pinned in requirements/peers.txt) and llem's NVML wrapper
 * read the same fake libnvidia-ml.so.1 under the same script: every value llem's probe reports must be
 * what NVIDIA's ctypes declarations read, including the process list in both _v3 entry widths. The
 * scripted truths (a constant 312.5 W, 312.5 J after its counter's first second, a 400 W x 0.25 s
 * burst = 100 J) are checked on both sides.
 * Under CI a missing env fails (test/fixtures/python-envs.ts), never skips.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { compareNvmlBindings, NVML_SCENARIOS, NVML_TRUTH, type NvmlComparison } from './fixtures/peers/nvml-bindings.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

describe('llem and nvidia-ml-py on the same NVML library', () => {
  let c: NvmlComparison
  beforeAll(() => {
    c = compareNvmlBindings(pythonEnv('peers'))
  }, ENV_BUILD_TIMEOUT_MS)

  it('pynvml loaded the fake library llem opened', () => {
    expect(c.libraries.pynvml).toBe(c.libraries.llem)
  })

  it('every value agrees, device by device, on both process-entry widths', () => {
    expect(c.rows.length).toBeGreaterThan(100)
    expect(c.rows.filter((r) => !r.agree)).toEqual([])
  })

  it('both read the scripted physical truth', () => {
    for (const k of Object.keys(NVML_TRUTH) as Array<keyof typeof NVML_TRUTH>) expect(c.truth[k], k).toEqual({ llem: NVML_TRUTH[k], nvidia: NVML_TRUTH[k] })
  })

  it('the process lists name every scripted process, memory not available included; an old driver has none to call', () => {
    const procs = c.rows.filter((r) => r.quantity === 'processes' && r.device === 0)
    expect(procs).toHaveLength(NVML_SCENARIOS.length)
    for (const r of procs.filter((p) => NVML_SCENARIOS.find((s) => s.name === p.scenario)?.variant === 'old')) expect([r.llem, r.nvidia]).toEqual(['unavailable', 'unavailable'])
    for (const r of procs.filter((p) => NVML_SCENARIOS.find((s) => s.name === p.scenario)?.variant === 'current')) expect(JSON.parse(r.nvidia)).toEqual([
      { pid: 4242, usedGpuMemory: 1024 * 1048576 },
      { pid: 4343, usedGpuMemory: null },
      { pid: 4444, usedGpuMemory: 2048 * 1048576 },
    ])
  })
})
