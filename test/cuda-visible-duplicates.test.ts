/**
 * CUDA_VISIBLE_DEVICES read as CUDA reads it. One GPU named twice (`0,0`, or an index and its UUID) is one GPU: it gives one
 * slot, so a gpus: 2 experiment does not "fit" on a single device, and the probe meters it once, so its
 * energy is not counted twice. The fake NVML has two GPUs; GPU-two is never named.
 */
import { describe, expect, it } from 'vitest'
import { discoverGpuSlots } from '../core/run/slots.js'
import { resolveVisibleDevices } from '../plugins/probes/nvml/devices.js'
import { buildFakeNvml, FAKE_NVML_LIBRARY, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { join } from 'node:path'

describe('a GPU named twice in CUDA_VISIBLE_DEVICES', () => {
  it('is one slot, and the note says it was counted once', async () => {
    const library = join(buildFakeNvml('current'), FAKE_NVML_LIBRARY)
    process.env.FAKE_NVML_CONFIG = writeFakeNvmlConfig('device uuid=GPU-one name="GPU One" arch=9\ndevice uuid=GPU-two name="GPU Two" arch=9\n')
    for (const visible of ['0,GPU-one', '0,0']) {
      const { slots, note } = await discoverGpuSlots('all', { CUDA_VISIBLE_DEVICES: visible }, { nvml: { library } })
      expect(slots.map((g) => g.uuid), visible).toEqual(['GPU-one'])
      expect(note).toContain('names GPU-one more than once: counted once')
    }
    // a list without repeats is untouched, in its order
    expect((await discoverGpuSlots('all', { CUDA_VISIBLE_DEVICES: '1,0' }, { nvml: { library } })).slots.map((g) => g.uuid)).toEqual(['GPU-two', 'GPU-one'])
  })

  it('an entry naming no GPU ends the list, as CUDA masks what follows it; a MIG slice is skipped', async () => {
    const library = join(buildFakeNvml('current'), FAKE_NVML_LIBRARY)
    process.env.FAKE_NVML_CONFIG = writeFakeNvmlConfig('device uuid=GPU-one name="GPU One" arch=9\ndevice uuid=GPU-two name="GPU Two" arch=9\n')
    const cut = await discoverGpuSlots('all', { CUDA_VISIBLE_DEVICES: '1,7,0' }, { nvml: { library } })
    expect(cut.slots.map((g) => g.uuid)).toEqual(['GPU-two'])
    expect(cut.note).toContain('entry 7 names no GPU: it and the entries after it are not used')
    const mig = await discoverGpuSlots('all', { CUDA_VISIBLE_DEVICES: 'MIG-5c9a,GPU-two,0' }, { nvml: { library } })
    expect(mig.slots.map((g) => g.uuid)).toEqual(['GPU-two', 'GPU-one'])
  })

  it('is metered once by the NVML probe, with a warning', () => {
    const gpus = [{ uuid: 'GPU-one', name: 'GPU One' }, { uuid: 'GPU-two', name: 'GPU Two' }]
    // the calls resolveVisibleDevices makes, answered for two GPUs without MIG
    const nvml = { deviceCount: () => gpus.length, handleByIndex: (i: number) => i, uuid: (h: number) => gpus[h].uuid, name: (h: number) => gpus[h].name, migMode: () => ({ current: false, pending: false }) }
    const { devices, warnings } = resolveVisibleDevices(nvml as never, '0,GPU-one', 'PCI_BUS_ID')
    expect(devices.map((d) => [d.uuid, d.cudaIndex])).toEqual([['GPU-one', 0]])
    expect(warnings).toEqual(['CUDA_VISIBLE_DEVICES names GPU-one more than once (entry GPU-one): it is measured once'])
  })
})
