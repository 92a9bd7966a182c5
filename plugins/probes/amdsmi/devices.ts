/**
 * Which AMD GPUs an experiment uses, and which of them share one energy counter.
 *
 * AMD SMI, like NVML, sees every GPU whatever the process may use; the runtime narrows them in two
 * steps, mapped here the same way: ROCR_VISIBLE_DEVICES (ROCr: device indices, or ROCr UUIDs
 * "GPU-<unique id in hex>") and then HIP_VISIBLE_DEVICES (indices into what ROCr left). An index is
 * taken to be AMD SMI's processor order (both enumerate the driver's devices by PCI address;
 * scripts/gpu-check checks it on hardware). An entry that names nothing ends the list, with a warning.
 *
 * MI250 and MI250X carry two graphics dies (GCDs) in one package, and each die is a processor of its
 * own. Depending on the firmware, each reports its own energy counter or both report the package's;
 * counting the package's twice doubles the energy (a bug Zeus fixed for MI250). Two processors of one
 * socket whose counters read the same value at the same firmware timestamp share one counter.
 */
import { setTimeout as sleepSync } from 'node:timers/promises'
import type { AmdSmi, AmdSmiHandle } from './amdsmi.js'

export interface AmdProcessor {
  /** AMD SMI's index (amd-smi list numbers GPUs so) */
  index: number
  socket: number
  handle: AmdSmiHandle
  uuid: string
  name: string
  bdf: string | null
  /** the ASIC serial in hex: ROCr names the GPU "GPU-<serial>" */
  serial: string | null
}

export interface VisibleAmdGpu extends AmdProcessor {
  /** as the workload numbers it: hip:<hipIndex> */
  hipIndex: number
}

export function listProcessors(smi: AmdSmi): AmdProcessor[] {
  return smi.processors().map(({ socket, handle }, index) => {
    const asic = smi.asicInfo(handle)
    const serial = asic && /^[0-9a-f]{1,16}$/i.test(asic.serial) ? asic.serial.toLowerCase() : null
    return { index, socket, handle, uuid: smi.uuid(handle), name: asic?.marketName || 'AMD GPU', bdf: smi.bdf(handle), serial }
  })
}

/** ROCr's UUID for a GPU, what ROCR_VISIBLE_DEVICES accepts; null when the serial is unknown */
export function rocrUuid(p: { serial: string | null }): string | null {
  return p.serial === null ? null : `GPU-${p.serial.padStart(16, '0')}`
}

function pick<T extends AmdProcessor>(list: T[], env: string | undefined, name: string, warnings: string[], byUuid: boolean): T[] {
  if (env === undefined) return list
  const out: T[] = []
  for (const raw of env.split(',')) {
    const entry = raw.trim()
    if (entry === '') break
    let found: T | undefined
    if (/^\d+$/.test(entry)) found = list[Number(entry)]
    else if (byUuid) {
      const want = entry.toLowerCase()
      const matches = list.filter((p) => rocrUuid(p)?.toLowerCase() === want || p.uuid.toLowerCase() === want)
      found = matches.length === 1 ? matches[0] : undefined
    }
    if (!found) {
      warnings.push(`${name} entry ${entry} names no GPU AMD SMI sees (${list.length} visible at this step); the rest of the list is ignored`)
      break
    }
    out.push(found)
  }
  return out
}

export function resolveVisibleAmdGpus(all: AmdProcessor[], env: NodeJS.ProcessEnv): { devices: VisibleAmdGpu[]; warnings: string[] } {
  const warnings: string[] = []
  const rocr = pick(all, env.ROCR_VISIBLE_DEVICES, 'ROCR_VISIBLE_DEVICES', warnings, true)
  const hip = pick(rocr, env.HIP_VISIBLE_DEVICES, 'HIP_VISIBLE_DEVICES', warnings, false)
  return { devices: hip.map((p, hipIndex) => ({ ...p, hipIndex })), warnings }
}

/**
 * Groups of processors (by index) that report one shared energy counter: same socket, and the same
 * accumulator and firmware timestamp in one of a few back-to-back reads (a read can straddle an
 * update, so one agreeing pair is enough; independent dies never agree on both).
 */
export async function sharedCounterGroups(smi: AmdSmi, all: AmdProcessor[], tries = 5): Promise<number[][]> {
  const bySocket = new Map<number, AmdProcessor[]>()
  for (const p of all) bySocket.set(p.socket, [...(bySocket.get(p.socket) ?? []), p])
  const groups: number[][] = []
  for (const members of bySocket.values()) {
    if (members.length < 2) continue
    const same = new Map<number, Set<number>>(members.map((m) => [m.index, new Set([m.index])]))
    for (let t = 0; t < tries; t++) {
      const reads = members.map((m) => ({ m, c: smi.energyCount(m.handle) }))
      for (const a of reads)
        for (const b of reads)
          if (a.m.index < b.m.index && a.c.timestampNs > 0n && a.c.ticks > 0n && a.c.ticks === b.c.ticks && a.c.timestampNs === b.c.timestampNs) {
            same.get(a.m.index)!.add(b.m.index)
            same.get(b.m.index)!.add(a.m.index)
          }
      await sleepSync(2)
    }
    const seen = new Set<number>()
    for (const m of members) {
      if (seen.has(m.index)) continue
      const group = [...same.get(m.index)!].sort((x, y) => x - y)
      for (const i of group) seen.add(i)
      if (group.length > 1) groups.push(group)
    }
  }
  return groups
}
