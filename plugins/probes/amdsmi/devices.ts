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
 * socket whose counters read the same value at the same firmware timestamp share one counter. On other
 * firmware (as Zeus documents for MI250) the first die reports the package's counter and socket power
 * and the second reads 0 W with a counter that never moves: a die whose counter stands still at 0 W
 * while one other die of its socket counts is read through that die.
 */
import { performance } from 'node:perf_hooks'
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

/** Processors (by index) that report one energy counter between them, read through `carrier`. */
export interface CounterGroup {
  members: number[]
  carrier: number
  /** 'same': every member reads the package's counter; 'first-die': only the carrier does, the others stand still at 0 W */
  layout: 'same' | 'first-die'
}

/** how long to wait for a socket's dies to show which of them counts, when one stands still at 0 W */
const STILL_DIE_WAIT_MS = 200

/**
 * Groups of processors that report one energy counter: same socket, and the same accumulator and
 * firmware timestamp in one of a few back-to-back reads (a read can straddle an update, so one
 * agreeing pair is enough; independent dies never agree on both); or, on a socket where every die
 * but one reads 0 W and its counter never moves while that one's does, the package on that one die.
 */
export async function sharedCounterGroups(smi: AmdSmi, all: AmdProcessor[], tries = 5): Promise<CounterGroup[]> {
  const bySocket = new Map<number, AmdProcessor[]>()
  for (const p of all) bySocket.set(p.socket, [...(bySocket.get(p.socket) ?? []), p])
  const groups: CounterGroup[] = []
  for (const members of bySocket.values()) {
    if (members.length < 2) continue
    const same = new Map<number, Set<number>>(members.map((m) => [m.index, new Set([m.index])]))
    const firstTicks = new Map<number, bigint>()
    const moved = new Set<number>()
    const read = () => {
      const reads = members.map((m) => ({ m, c: smi.energyCount(m.handle) }))
      for (const { m, c } of reads) {
        if (!firstTicks.has(m.index)) firstTicks.set(m.index, c.ticks)
        else if (c.ticks !== firstTicks.get(m.index)) moved.add(m.index)
      }
      return reads
    }
    for (let t = 0; t < tries; t++) {
      const reads = read()
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
      if (group.length < 2) continue
      for (const i of group) seen.add(i)
      groups.push({ members: group, carrier: group[0], layout: 'same' })
    }
    // the rest of the socket: dies at 0 W whose counters stand still beside one that counts
    const rest = members.filter((m) => !seen.has(m.index))
    const zeroWatts = (m: AmdProcessor) => {
      const p = smi.powerInfo(m.handle)
      return p !== null && (p.currentW ?? p.averageW) === 0
    }
    if (rest.length < 2 || !rest.some(zeroWatts)) continue
    for (const until = performance.now() + STILL_DIE_WAIT_MS; performance.now() < until && !rest.some((m) => moved.has(m.index)); ) {
      read()
      await sleepSync(2)
    }
    const counting = rest.filter((m) => moved.has(m.index))
    const still = rest.filter((m) => !moved.has(m.index) && zeroWatts(m))
    if (counting.length === 1 && still.length > 0) groups.push({ members: [counting[0], ...still].map((m) => m.index).sort((x, y) => x - y), carrier: counting[0].index, layout: 'first-die' })
  }
  return groups
}
