/**
 * GPU slots: which GPUs llem may use (what the probes offering accelerators() list: NVML's and AMD
 * SMI's inventories, narrowed by llem's own CUDA_VISIBLE_DEVICES for NVIDIA and ROCR_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES for AMD, and by the
 * `devices` option / --gpus), and first-fit placement of experiments on free ones. A machine without
 * GPUs has one CPU slot: CPU experiments then run one at a time unless maxParallel says more.
 */
import { InputError } from '../errors.js'
import { gpuProbes, type GpuProbe, type ProbesConfig } from './gpu-probes.js'

export interface GpuSlot {
  uuid: string
  /** the vendor library's index (NVML's, AMD SMI's) */
  index: number
  name: string
  /** absent in runs recorded before AMD GPUs were scheduled: NVIDIA */
  vendor?: 'nvidia' | 'amd'
  /** AMD: what ROCR_VISIBLE_DEVICES names this GPU by (ROCr's "GPU-<serial>" UUID, else its index) */
  rocr_id?: string
}

function matches(entry: string | number, g: GpuSlot, position: number): boolean {
  if (typeof entry === 'number' || /^\d+$/.test(entry)) return Number(entry) === position
  if (g.vendor === 'amd') {
    const e = entry.toLowerCase()
    return g.uuid.toLowerCase().startsWith(e) || g.rocr_id?.toLowerCase() === e
  }
  const uuid = entry.startsWith('GPU-') ? entry : `GPU-${entry}`
  return g.uuid === uuid || g.uuid.startsWith(uuid)
}

/** The environment that pins a worker to `gpus` (and only them), given every slot this run has. */
export function pinningEnv(gpus: GpuSlot[], all: GpuSlot[]): Record<string, string> {
  const nvidia = gpus.filter((g) => g.vendor !== 'amd')
  const amd = gpus.filter((g) => g.vendor === 'amd')
  const env: Record<string, string> = {}
  // an experiment given no GPU of a vendor sees none of them: it must not measure (or use) GPUs others hold
  if (nvidia.length) Object.assign(env, { CUDA_VISIBLE_DEVICES: nvidia.map((g) => g.uuid).join(','), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' })
  else if (all.some((g) => g.vendor !== 'amd')) env.CUDA_VISIBLE_DEVICES = ''
  // ROCr narrows first; HIP then numbers what is left from 0, so an inherited HIP_VISIBLE_DEVICES is replaced
  if (amd.length) Object.assign(env, { ROCR_VISIBLE_DEVICES: amd.map((g) => g.rocr_id ?? String(g.index)).join(','), HIP_VISIBLE_DEVICES: amd.map((_, i) => i).join(',') })
  else if (all.some((g) => g.vendor === 'amd')) Object.assign(env, { ROCR_VISIBLE_DEVICES: '', HIP_VISIBLE_DEVICES: '' })
  return env
}

/** every GPU the probes that offer `accelerators()` see, with why each sees none */
async function probeSlots(probes: GpuProbe[]): Promise<{ slots: GpuSlot[]; reasons: string[] }> {
  const slots: GpuSlot[] = []
  const reasons: string[] = []
  for (const { name, probe, options } of probes) {
    if (!probe.accelerators) continue
    // a probe's own failure (a library that will not load) is that probe's reason, named, not the run's end
    let seen: Awaited<ReturnType<NonNullable<typeof probe.accelerators>>>
    try {
      const availability = await probe.available(options)
      if (!availability.available) {
        reasons.push(availability.reason)
        continue
      }
      seen = await probe.accelerators(options)
    } catch (e) {
      reasons.push(`probe ${name} failed while listing GPUs: ${e instanceof Error ? e.message : String(e)}`)
      continue
    }
    if (seen.length === 0) reasons.push(`${name} sees no GPU`)
    for (const g of seen) slots.push(g.vendor === 'amd' ? { uuid: g.uuid, index: g.index, name: g.name, vendor: 'amd', rocr_id: g.visible_id } : { uuid: g.uuid, index: g.index, name: g.name, vendor: 'nvidia' })
  }
  return { slots, reasons }
}

/** narrows AMD slots as ROCr and HIP would: ROCR_VISIBLE_DEVICES (indices or UUIDs), then HIP_VISIBLE_DEVICES (indices) */
function narrowAmd(slots: GpuSlot[], env: NodeJS.ProcessEnv): GpuSlot[] {
  const step = (list: GpuSlot[], value: string | undefined, byId: boolean) => {
    if (value === undefined) return list
    const out: GpuSlot[] = []
    for (const e of value.split(',').map((x) => x.trim())) {
      if (e === '') break
      const found = /^\d+$/.test(e) ? list[Number(e)] : byId ? list.find((g) => g.rocr_id?.toLowerCase() === e.toLowerCase() || g.uuid.toLowerCase() === e.toLowerCase()) : undefined
      if (!found) break
      out.push(found)
    }
    return out
  }
  return step(step(slots, env.ROCR_VISIBLE_DEVICES, true), env.HIP_VISIBLE_DEVICES, false)
}

/** The GPUs this run may use, or [] on a machine where no probe sees a GPU. `probes` is the
 *  configuration's probes record: each probe's options reach its inventory. */
export async function discoverGpuSlots(devices: 'all' | (number | string)[], env: NodeJS.ProcessEnv, probes: ProbesConfig = {}, rootDir?: string): Promise<{ slots: GpuSlot[]; note: string }> {
  const found = await probeSlots(await gpuProbes(probes, rootDir))
  const nv = { slots: found.slots.filter((g) => g.vendor !== 'amd') }
  const amd = { slots: found.slots.filter((g) => g.vendor === 'amd') }
  if (found.slots.length === 0) {
    const reason = found.reasons.join('; ') || 'no probe lists GPUs'
    if (devices !== 'all') throw new InputError('CONFIG_INVALID', `--gpus / devices names GPUs, but ${reason}`)
    return { slots: [], note: `no GPU slots: ${reason}` }
  }
  let nvidia = nv.slots
  let twice: string[] = []
  let cut: string | null = null
  const visible = env.CUDA_VISIBLE_DEVICES
  if (visible !== undefined) {
    const entries = visible.split(',').map((e) => e.trim()).filter(Boolean)
    // CUDA masks every device after an entry that names none (`1,7,0` on two GPUs is GPU 1 alone), and
    // so does the NVML probe in the worker: a GPU past it is one the user's setting kept from CUDA. A
    // MIG slice's UUID is a device to CUDA but not a GPU llem can meter: dropped, the list goes on
    const named: GpuSlot[] = []
    for (const e of entries) {
      const found = nvidia.find((g) => matches(e, g, g.index))
      if (found) named.push(found)
      else if (!e.startsWith('MIG-')) {
        cut = e
        break
      }
    }
    // one GPU named twice (`0,0`, or an index and its UUID) is one GPU: two slots on it would let a
    // gpus: 2 experiment "fit" on one device, or two experiments share a counter
    nvidia = named.filter((g, i) => named.findIndex((o) => o.uuid === g.uuid) === i)
    twice = [...new Set(named.filter((g, i) => named.findIndex((o) => o.uuid === g.uuid) !== i).map((g) => g.uuid))]
  }
  let slots = [...nvidia, ...narrowAmd(amd.slots, env)]
  if (devices !== 'all') {
    const all = slots
    slots = slots.filter((g, position) => devices.some((e) => matches(e, g, position)))
    const unmatched = devices.filter((e) => !all.some((g, position) => matches(e, g, position)))
    if (unmatched.length) throw new InputError('CONFIG_INVALID', `--gpus / devices: ${unmatched.join(', ')} matches no GPU llem may use (${all.map((g, i) => `${i}: ${g.uuid}`).join(', ') || 'none'})`)
  }
  const counted =
    (twice.length ? ` (CUDA_VISIBLE_DEVICES names ${twice.join(', ')} more than once: counted once)` : '') +
    (cut !== null ? ` (CUDA_VISIBLE_DEVICES entry ${cut} names no GPU: it and the entries after it are not used, as CUDA masks them)` : '')
  return { slots, note: `${slots.length} GPU slot${slots.length === 1 ? '' : 's'}: ${slots.map((g) => `${g.vendor === 'amd' ? 'amd ' : ''}${g.index} ${g.uuid}`).join(', ')}${counted}` }
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
