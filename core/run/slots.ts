/**
 * GPU slots: which GPUs llem may use (NVML's inventory, narrowed by llem's own CUDA_VISIBLE_DEVICES
 * and the `devices` option / --gpus), and first-fit placement of experiments on free ones. A machine
 * without GPUs has one CPU slot: CPU experiments then run one at a time unless maxParallel says more.
 */
import { InputError } from '../errors.js'
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
export async function discoverGpuSlots(devices: 'all' | (number | string)[], env: NodeJS.ProcessEnv, nvmlOptions: Record<string, unknown> = {}): Promise<{ slots: GpuSlot[]; note: string }> {
  const probe = await builtinProbes.nvml()
  const availability = await probe.available(nvmlOptions)
  if (!availability.available || !probe.inventory) {
    if (devices !== 'all') throw new InputError('CONFIG_INVALID', `--gpus / devices names GPUs, but ${availability.reason}`)
    return { slots: [], note: `no GPU slots: ${availability.reason}` }
  }
  let slots: GpuSlot[] = (await probe.inventory(nvmlOptions)).map((g) => ({ uuid: String(g.uuid), index: Number(g.index), name: String(g.name) }))
  const visible = env.CUDA_VISIBLE_DEVICES
  if (visible !== undefined) {
    const entries = visible.split(',').map((e) => e.trim()).filter(Boolean)
    slots = entries.flatMap((e) => slots.filter((g) => matches(e, g, g.index)).slice(0, 1))
  }
  if (devices !== 'all') {
    const all = slots
    slots = slots.filter((g, position) => devices.some((e) => matches(e, g, position)))
    const unmatched = devices.filter((e) => !all.some((g, position) => matches(e, g, position)))
    if (unmatched.length) throw new InputError('CONFIG_INVALID', `--gpus / devices: ${unmatched.join(', ')} matches no GPU llem may use (${all.map((g, i) => `${i}: ${g.uuid}`).join(', ') || 'none'})`)
  }
  return { slots, note: `${slots.length} GPU slot${slots.length === 1 ? '' : 's'}: ${slots.map((g) => `${g.index} ${g.uuid}`).join(', ')}` }
}

/** Where one process of an experiment runs: a pool key (its GPU set, or a CPU lane) and its GPUs. */
export interface ProcessPlace {
  key: string
  gpus: GpuSlot[]
}

/**
 * First-fit placement of `processes` x `perProcess` GPUs on the free slots. Processes that need no GPU
 * get a CPU lane each (lanes are unlimited; maxParallel bounds how many experiments run at once), so a
 * CPU experiment never waits inside a busy pool while its timeout runs.
 */
export class SlotTable {
  private readonly busy = new Set<string>()
  constructor(readonly slots: GpuSlot[]) {}

  place(processes: number, perProcess: number): ProcessPlace[] | null {
    if (perProcess === 0) {
      const lanes: ProcessPlace[] = []
      for (let lane = 0; lanes.length < processes; lane++) if (!this.busy.has(`cpu${lane}`)) lanes.push({ key: `cpu${lane}`, gpus: [] })
      for (const l of lanes) this.busy.add(l.key)
      return lanes
    }
    const free = this.slots.filter((s) => !this.busy.has(s.uuid))
    if (free.length < processes * perProcess) return null
    const out = Array.from({ length: processes }, (_, i) => {
      const gpus = free.slice(i * perProcess, (i + 1) * perProcess)
      return { key: gpus.map((g) => g.uuid).join(','), gpus }
    })
    for (const g of out.flatMap((p) => p.gpus)) this.busy.add(g.uuid)
    return out
  }

  release(places: ProcessPlace[]): void {
    for (const p of places) {
      this.busy.delete(p.key)
      for (const g of p.gpus) this.busy.delete(g.uuid)
    }
  }
}
