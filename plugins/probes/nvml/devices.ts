/**
 * Which GPUs an experiment uses, as NVML handles. NVML ignores CUDA_VISIBLE_DEVICES, so its entries
 * (indices, GPU-UUIDs or unique UUID prefixes, MIG-UUIDs) are mapped here; CUDA stops at the first
 * entry it cannot parse, and so does this. Unset means every GPU; empty means none.
 */
import type { Nvml, NvmlDevice } from './nvml.js'

export interface VisibleDevice {
  /** the GPU as the host numbers it: NVML's index, which nvidia-smi shows */
  nvmlIndex: number
  /** as the workload numbers it: its position in CUDA_VISIBLE_DEVICES (cuda:<cudaIndex> in the worker) */
  cudaIndex: number
  handle: NvmlDevice
  uuid: string
  name: string
  isMig: boolean
  migProfile: string | null
}

export function resolveVisibleDevices(nvml: Nvml, env: string | undefined, order: string | undefined): { devices: VisibleDevice[]; warnings: string[] } {
  const warnings: string[] = []
  const count = nvml.deviceCount()
  const all = Array.from({ length: count }, (_, i) => {
    const handle = nvml.handleByIndex(i)
    return { handle, nvmlIndex: i, uuid: nvml.uuid(handle), name: nvml.name(handle) }
  })
  const entries = env === undefined ? all.map((_, i) => String(i)) : env.split(',').map((e) => e.trim())
  const devices: VisibleDevice[] = []
  for (const entry of entries) {
    if (entry === '') break
    let found: (typeof all)[number] | undefined
    if (/^\d+$/.test(entry)) {
      found = all[Number(entry)]
      if (!found) {
        warnings.push(`CUDA_VISIBLE_DEVICES names GPU ${entry} but NVML sees ${count}; the rest of the list is ignored, as CUDA does`)
        break
      }
      if (env !== undefined && count > 1 && order !== 'PCI_BUS_ID' && !warnings.some((w) => w.includes('CUDA_DEVICE_ORDER')))
        warnings.push('CUDA_VISIBLE_DEVICES uses indices but CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA may number GPUs differently from NVML; use GPU UUIDs or set CUDA_DEVICE_ORDER=PCI_BUS_ID')
    } else if (entry.startsWith('MIG-')) {
      warnings.push(`CUDA_VISIBLE_DEVICES entry ${entry} is a MIG slice: NVML cannot meter the energy of a MIG slice; it is not measured`)
      continue
    } else {
      const uuid = entry.startsWith('GPU-') ? entry : `GPU-${entry}`
      const matches = all.filter((d) => d.uuid === uuid || d.uuid.startsWith(uuid))
      if (matches.length !== 1) {
        warnings.push(`CUDA_VISIBLE_DEVICES entry ${entry} ${matches.length ? 'matches several GPUs' : 'matches no GPU NVML sees'}; the rest of the list is ignored, as CUDA does`)
        break
      }
      found = matches[0]
    }
    // CUDA numbers each entry, but one GPU named twice (`0,0`, an index and its UUID) is one meter:
    // counted twice, its energy would be too
    if (devices.some((d) => d.uuid === found.uuid)) {
      warnings.push(`CUDA_VISIBLE_DEVICES names ${found.uuid} more than once (entry ${entry}): it is measured once`)
      continue
    }
    const mig = nvml.migMode(found.handle)
    const isMig = mig?.current === true
    if (mig?.current) warnings.push(`${found.name} (${found.uuid}) has MIG mode on: work runs in MIG slices, which NVML cannot meter; the whole GPU's energy is reported`)
    devices.push({ nvmlIndex: found.nvmlIndex, cudaIndex: devices.length, handle: found.handle, uuid: found.uuid, name: found.name, isMig, migProfile: null })
  }
  return { devices, warnings }
}
