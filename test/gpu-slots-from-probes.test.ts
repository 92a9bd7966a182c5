/**
 * GPU slots come from whichever probes offer accelerators(), each with its configured options: the
 * fake NVML (two GPUs) is found only through probes.nvml.library, and a user probe named in the
 * configuration adds the GPUs it lists, after the built-in probes' ones.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { discoverGpuSlots } from '../core/run/slots.js'
import { buildFakeNvml, FAKE_NVML_LIBRARY, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'

const USER_PROBE = `export default {
  name: 'rack-gpus',
  async available() { return { available: true, reason: 'one GPU on the rack' } },
  async open() { throw new Error('not measured here') },
  async accelerators(options) { return [{ uuid: 'GPU-rack-7', index: 7, name: options.label, vendor: 'nvidia', visible_id: 'GPU-rack-7' }] },
}
`

describe('GPU slots from the configured probes', () => {
  it('reads the fake NVML through probes.nvml.library, and a user probe through its own options', async () => {
    const library = join(buildFakeNvml('current'), FAKE_NVML_LIBRARY)
    process.env.FAKE_NVML_CONFIG = writeFakeNvmlConfig('device uuid=GPU-one name="GPU One" arch=9\ndevice uuid=GPU-two name="GPU Two" arch=9\n')
    const { slots } = await discoverGpuSlots('all', {}, { nvml: { library } })
    expect(slots.map((g) => [g.uuid, g.index, g.name, g.vendor])).toEqual([
      ['GPU-one', 0, 'GPU One', 'nvidia'],
      ['GPU-two', 1, 'GPU Two', 'nvidia'],
    ])
    // CUDA_VISIBLE_DEVICES narrows what the probe listed
    expect((await discoverGpuSlots('all', { CUDA_VISIBLE_DEVICES: 'GPU-two' }, { nvml: { library } })).slots.map((g) => g.uuid)).toEqual(['GPU-two'])

    const root = mkdtempSync(join(tmpdir(), 'llem-slots-'))
    writeFileSync(join(root, 'rack-gpus.mjs'), USER_PROBE)
    const both = await discoverGpuSlots('all', {}, { nvml: { library }, './rack-gpus.mjs': { label: 'Rack GPU' } }, root)
    expect(both.slots.map((g) => [g.uuid, g.index, g.name])).toEqual([
      ['GPU-one', 0, 'GPU One'],
      ['GPU-two', 1, 'GPU Two'],
      ['GPU-rack-7', 7, 'Rack GPU'],
    ])
  })

  it('no probe sees a GPU: no slots, and --gpus naming one is refused with each probe\'s reason', async () => {
    // probes.nvml.library names a file that does not exist
    const probes = { nvml: { library: '/nonexistent/libnvidia-ml.so.1' } }
    const none = await discoverGpuSlots('all', {}, probes)
    expect(none.slots).toEqual([])
    expect(none.note).toContain('/nonexistent/libnvidia-ml.so.1')
    await expect(discoverGpuSlots(['0'], {}, probes)).rejects.toThrow(/--gpus \/ devices names GPUs, but .*\/nonexistent\/libnvidia-ml\.so\.1/)
  })
})
