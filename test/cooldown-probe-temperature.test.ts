/**
 * The cool-down's temperature wait reads the GPUs through the configured probe, with its options:
 * the fake NVML is reachable only by probes.nvml.library (no libnvidia-ml.so.1 on the loader path),
 * and its script holds the GPU 20 °C above its idle temperature from 0.8 s to 2.5 s.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gpuProbes } from '../core/run/gpu-probes.js'
import { recordIdleTemperatures, waitForCooldown } from '../core/run/cooldown.js'
import { buildFakeNvml, FAKE_NVML_LIBRARY, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('cool-down through the configured probe', () => {
  it('waits until the GPU is back within the margin of its idle temperature', async () => {
    const library = join(buildFakeNvml('current'), FAKE_NVML_LIBRARY)
    const epoch = Date.now() / 1000
    // a shared clock: t is wall time since `epoch`, whichever nvmlInit reads the script
    process.env.FAKE_NVML_CONFIG = writeFakeNvmlConfig(`clock epoch=${epoch}\ndevice uuid=GPU-hot name="Hot GPU" arch=9 temp_c=40\ntemp GPU-hot 0.8 2.5 60\n`)
    const probes = await gpuProbes({ nvml: { library } })
    await recordIdleTemperatures(['GPU-hot'], probes)
    await sleep(Math.max(0, (epoch + 1.0) * 1000 - Date.now()))
    await waitForCooldown({ seconds: 0, temperatureMarginC: 5, maxSeconds: 10 }, ['GPU-hot'], new AbortController().signal, probes)
    const t = Date.now() / 1000 - epoch
    // hot until 2.5 s; the wait polls once a second
    expect(t).toBeGreaterThanOrEqual(2.5)
    expect(t).toBeLessThan(4.5)
  })
})
