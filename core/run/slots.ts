/**
 * GPU slots: which GPUs llem may use (NVML's inventory, narrowed by llem's own CUDA_VISIBLE_DEVICES
 * and the `devices` option / --gpus), and first-fit placement of experiments on free ones. A machine
 * without GPUs has one CPU slot: CPU experiments then run one at a time unless maxParallel says more.
 */
import { builtinProbes } from '../plugins/builtins.js'

export interface GpuSlot {
  uuid: string
  /** NVML's index */
  index: number
  name: string
}

function matches(entry: string | number, g: GpuSlot, position: number): boolean {
  if (typeof entry === 'number' || /^\d+$/.test(entry)) return Number(entry) === position
  const uuid = entry.startsWith('GPU-') ? entry : `GPU-${entry}`
  return g.uuid === uuid || g.uuid.startsWith(uuid)
}

/** The GPUs this run may use, or [] on a machine where NVML is unavailable or sees none. */
export async function discoverGpuSlots(devices: 'all' | (number | string)[], env: NodeJS.ProcessEnv): Promise<{ slots: GpuSlot[]; note: string }> {
  const probe = await builtinProbes.nvml()
  const availability = await probe.available({})
  if (!availability.available || !probe.inventory) return { slots: [], note: `no GPU slots: ${availability.reason}` }
  let slots: GpuSlot[] = (await probe.inventory({})).map((g) => ({ uuid: String(g.uuid), index: Number(g.index), name: String(g.name) }))
  const visible = env.CUDA_VISIBLE_DEVICES
  if (visible !== undefined) {
    const entries = visible.split(',').map((e) => e.trim()).filter(Boolean)
    slots = entries.flatMap((e) => slots.filter((g) => matches(e, g, g.index)).slice(0, 1))
  }
  if (devices !== 'all') slots = slots.filter((g, position) => devices.some((e) => matches(e, g, position)))
  return { slots, note: `${slots.length} GPU slot${slots.length === 1 ? '' : 's'}: ${slots.map((g) => `${g.index} ${g.uuid}`).join(', ')}` }
}

/** First-fit placement of `processes` x `perProcess` GPUs on the free slots. */
export class SlotTable {
  private readonly busy = new Set<string>()
  constructor(readonly slots: GpuSlot[]) {}

  place(processes: number, perProcess: number): GpuSlot[][] | null {
    if (perProcess === 0) return Array.from({ length: processes }, () => [])
    const free = this.slots.filter((s) => !this.busy.has(s.uuid))
    if (free.length < processes * perProcess) return null
    const out = Array.from({ length: processes }, (_, i) => free.slice(i * perProcess, (i + 1) * perProcess))
    for (const g of out.flat()) this.busy.add(g.uuid)
    return out
  }

  release(groups: GpuSlot[][]): void {
    for (const g of groups.flat()) this.busy.delete(g.uuid)
  }
}
