/**
 * Packages with several dies. A kernel that counts more than one die per package names each die's
 * zone `package-N-die-M` (one top-level intel-rapl:K zone per die, with its own subzones). Two
 * layouts share that naming and need opposite counting:
 *  - every die has its own energy counters (Xeon Cascade Lake-AP: two dies per package, each with
 *    its own package and DRAM domains): the die zones are added up like packages;
 *  - every die zone reads the one package counter (AMD Zen 4/5 on kernels that number CCDs as dies
 *    while the energy MSR is per socket): the same joules appear once per die and count once.
 * Neither the names nor the CPU vendor tell them apart reliably (the AMD behaviour depends on the
 * kernel version), so the counters do: one counter published twice reads the same value when read
 * back to back, while separate counters, which have accumulated since boot at different rates,
 * practically never agree to the microjoule. A counter update can land between two reads, so the
 * zones are read up to DIE_READ_ROUNDS times and one agreeing round is enough. The session keeps
 * checking at every read (sameCounterGapUj) and counts the dies separately from then on if a pair
 * judged to be one counter drifts apart.
 */
import type { RaplZone } from './rapl-zones.js'

export const DIE_ZONE = /^package-(\d+)-die-(\d+)$/

/** back-to-back read rounds at open; a shared counter agrees in nearly all of them */
export const DIE_READ_ROUNDS = 20

/**
 * Largest difference two reads of one counter can show: the energy of one or two counter updates
 * between the reads (AMD updates about every 1 ms; at 500 W that is 0.5 J). Separate counters
 * drift apart by far more than this within seconds.
 */
export const SAME_COUNTER_TOLERANCE_UJ = 1_000_000

/** The zones that may be one counter published per die: the die zones of one package, or their
 *  same-named counted subzones (dram). The first zone is the one a shared counter is counted by. */
export interface DieSlot {
  package: string
  /** 'package' for the die zones themselves, else the subzone name ('dram') */
  domain: string
  zones: RaplZone[]
}

/** How a slot is counted, recorded in the probe's describe() (environment.probes.rapl.dies). */
export interface DieDecision {
  package: string
  domain: string
  zones: string[]
  counters: 'per_die' | 'shared'
  /** zone ids whose energy goes into the totals */
  counted: string[]
  decided_by: string
}

/** Groups the die zones of each package (and their counted subzones) into slots of two or more. */
export function dieSlots(zones: readonly RaplZone[]): DieSlot[] {
  const slots = new Map<string, DieSlot>()
  const dieOf = new Map<string, string>() // die zone id -> package name
  for (const z of zones) {
    const m = z.parent === null ? DIE_ZONE.exec(z.name) : null
    if (!m) continue
    const pkg = `package-${m[1]}`
    dieOf.set(z.id, pkg)
    addTo(slots, pkg, 'package', z)
  }
  // core/uncore are inside their die and never counted; psys does not sit under a die
  for (const z of zones) if (z.parent !== null && dieOf.has(z.parent) && z.kind === 'dram') addTo(slots, dieOf.get(z.parent)!, z.name, z)
  return [...slots.values()].filter((s) => s.zones.length > 1)
}

function addTo(slots: Map<string, DieSlot>, pkg: string, domain: string, z: RaplZone) {
  const key = `${pkg}|${domain}`
  const slot = slots.get(key) ?? { package: pkg, domain, zones: [] }
  slot.zones.push(z)
  slots.set(key, slot)
}

/**
 * Reads the slot's zones back to back, up to `rounds` times: all equal in one round means one
 * counter (counted once, by the first zone); never equal means one counter per die (summed).
 * `read` gives the raw µJ or a reason the file could not be read (such a round does not agree).
 */
export function decideDieCounters(slot: DieSlot, read: (z: RaplZone) => number | string, rounds = DIE_READ_ROUNDS): DieDecision {
  const ids = slot.zones.map((z) => z.id)
  const label = slot.domain === 'package' ? `die zones ${ids.join(', ')}` : `${slot.domain} zones ${ids.join(', ')}`
  let first: (number | string)[] | null = null
  for (let round = 1; round <= rounds; round++) {
    const values = slot.zones.map(read)
    first ??= values
    if (typeof values[0] === 'number' && values.every((v) => v === values[0])) {
      return {
        package: slot.package, domain: slot.domain, zones: ids, counters: 'shared', counted: [ids[0]],
        decided_by: `${label} read the same energy_uj (${values[0]}) when read back to back (round ${round} of ${rounds}): one package counter published once per die, counted once (${ids[0]})`,
      }
    }
  }
  return {
    package: slot.package, domain: slot.domain, zones: ids, counters: 'per_die', counted: ids,
    decided_by: `${label} never read the same energy_uj in ${rounds} back-to-back rounds (first: ${first!.join(' vs ')}): one counter per die, summed`,
  }
}

/** Distance between two raw readings of counters that wrap at `range` µJ. */
export function sameCounterGapUj(a: number, b: number, range: number): number {
  const d = Math.abs(a - b) % range
  return Math.min(d, range - d)
}

/** What DieCounting needs of a zone's session state: its last raw reading and whether it was read. */
export interface DieCounterState {
  zone: RaplZone
  lastRaw: number
  lastReadOk: boolean
}

interface SharedSlot<S> {
  decision: DieDecision
  counted: S
  copies: S[]
  /** set when the copies drifted apart from the counted zone: separate counters after all */
  split: string | null
}

/**
 * A session's die counting: decided at open, then checked after every poll. A copy of a shared
 * counter reads what the counted zone reads; if it drifts apart, the two were separate counters that
 * agreed by chance at open, and from then on every one is counted, over the whole session (each
 * zone's total since open is kept either way, so nothing is lost).
 */
export class DieCounting<S extends DieCounterState> {
  readonly decisions: DieDecision[]
  private readonly shared: SharedSlot<S>[]
  private readonly slotOfCopy = new Map<S, SharedSlot<S>>()

  constructor(states: readonly S[], read: (z: RaplZone) => number | string) {
    const byId = new Map(states.map((s) => [s.zone.id, s]))
    this.decisions = dieSlots(states.map((s) => s.zone)).map((slot) => decideDieCounters(slot, read))
    this.shared = this.decisions
      .filter((d) => d.counters === 'shared')
      .map((d) => ({ decision: d, counted: byId.get(d.zones[0])!, copies: d.zones.slice(1).map((id) => byId.get(id)!), split: null }))
    for (const sl of this.shared) for (const c of sl.copies) this.slotOfCopy.set(c, sl)
  }

  /** the zone id whose reading already holds this zone's energy, or null when it is counted itself */
  copyOf(s: S): string | null {
    const sl = this.slotOfCopy.get(s)
    return sl && sl.split === null ? sl.counted.zone.id : null
  }

  /** after each poll: a copy further from its counted zone than one counter update is no copy */
  check(): void {
    for (const sl of this.shared) {
      if (sl.split !== null || !sl.counted.lastReadOk) continue
      for (const c of sl.copies) {
        if (!c.lastReadOk) continue
        const gap = sameCounterGapUj(c.lastRaw, sl.counted.lastRaw, c.zone.max_energy_range_uj)
        if (gap <= SAME_COUNTER_TOLERANCE_UJ) continue
        sl.split = `rapl ${sl.decision.package}: ${sl.decision.zones.join(', ')} read the same counter at open but later differed by ${(gap / 1e6).toFixed(3)} J: they are separate counters, and each is counted for the whole session`
        break
      }
    }
  }

  warnings(): string[] {
    return this.shared.flatMap((sl) => (sl.split === null ? [] : [sl.split]))
  }
}
