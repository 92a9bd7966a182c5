/**
 * Finding the RAPL zones of a powercap tree and reading their counters (layout: see rapl.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { EnergyDomainKind } from 'llem/plugin/runtime'
import { isPermissionError, raplPermissionReason } from './rapl-access.js'
import { DIE_ZONE } from './rapl-dies.js'

export const DEFAULT_POWERCAP_ROOT = '/sys/class/powercap'

/**
 * Power assumed when a zone publishes no power limit, used only to decide when two reads are far
 * enough apart that the counter could have wrapped twice. 500 W matches the highest x86 server
 * package TDPs (EPYC 9005, Xeon 6900P), and DRAM draws far less, so the warning errs early.
 */
export const DEFAULT_WRAP_CEILING_W = 500

/** id: 'package-0' or 'package-0/dram'; zone: sysfs name 'intel-rapl:0:1'; parent: parent's id or null */
export interface RaplZone {
  id: string
  zone: string
  path: string
  name: string
  kind: EnergyDomainKind
  parent: string | null
  /** the package id for core/uncore (and unknown) subzones, whose energy the package already holds;
   *  null for packages, for dram (outside the package) and psys (spans the platform) */
  contained_in: string | null
  max_energy_range_uj: number
  /** highest published power limit in W (or DEFAULT_WRAP_CEILING_W), for the double-wrap check */
  wrap_ceiling_w: number
}

const TOP_ZONE = /^intel-rapl:(\d+)$/
const subZonePattern = (n: string) => new RegExp(`^intel-rapl:${n}:(\\d+)$`)

const KINDS: Record<string, EnergyDomainKind> = { core: 'cpu', uncore: 'cpu', dram: 'dram', psys: 'psys' }
/** a package zone is `package-N`, or `package-N-die-M` where the kernel counts several dies per package */
const kindOf = (name: string): EnergyDomainKind => (/^package-\d+$/.test(name) || DIE_ZONE.test(name) ? 'cpu' : (KINDS[name] ?? 'other'))

/** The counter in µJ, or a one-line reason it cannot be read (EACCES is usual since Linux 5.10). */
export function readCounter(file: string): number | string {
  const r = readCounterOrWhy(file)
  return typeof r === 'number' ? r : r.reason
}

/** The counter in µJ, or why not; `denied` when the kernel refused the read (root-only counters). */
function readCounterOrWhy(file: string): number | { reason: string; denied: boolean } {
  try {
    return readUj(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code ?? String(e)
    if (isPermissionError(code)) return { reason: raplPermissionReason(file), denied: true }
    return { reason: `energy_uj is not readable (${code}): ${file}`, denied: false }
  }
}

/** Reads a non-negative integer counter file; throws on read or parse failure. */
function readUj(file: string): number {
  const text = readFileSync(file, 'utf8').trim()
  const value = Number(text)
  if (text === '' || !Number.isSafeInteger(value) || value < 0) {
    throw Object.assign(new Error(`not a counter value: ${JSON.stringify(text)}`), { code: 'EBADVALUE' })
  }
  return value
}

/** Runs fn, or gives fallback when it throws: for files that may legitimately be absent. */
function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn()
  } catch {
    return fallback
  }
}
const readOptional = (file: string) => attempt(() => readFileSync(file, 'utf8').trim(), null)

const numericSort = (re: RegExp) => (a: string, b: string) => Number(re.exec(a)![1]) - Number(re.exec(b)![1])

/** Highest power limit the zone publishes (PL1, PL2, PL4...), in W; the fallback when none. */
function wrapCeilingW(path: string): number {
  let best = 0
  for (let i = 0; i < 4; i++) {
    for (const file of [`constraint_${i}_power_limit_uw`, `constraint_${i}_max_power_uw`]) {
      const v = Number(readOptional(join(path, file)))
      if (Number.isFinite(v) && v > best) best = v
    }
  }
  return best > 0 ? best / 1e6 : DEFAULT_WRAP_CEILING_W
}

/** `denied`: a counter exists but the kernel refuses to let this user read it (rapl-access.ts) */
type Discovery = { ok: true; zones: RaplZone[] } | { ok: false; reason: string; denied?: boolean }

/** Finds every zone and checks each counter is readable; one unreadable zone fails the probe. */
export function discoverRaplZones(root: string = DEFAULT_POWERCAP_ROOT): Discovery {
  const entries = attempt(() => (statSync(root).isDirectory() ? readdirSync(root) : null), null)
  if (!entries) return { ok: false, reason: `no powercap tree at ${root}` }
  const tops = entries.filter((e) => TOP_ZONE.test(e)).sort(numericSort(TOP_ZONE))
  if (tops.length === 0) {
    return { ok: false, reason: `no intel-rapl zones under ${root} (RAPL driver not loaded or CPU without RAPL)` }
  }

  const zones: RaplZone[] = []
  for (const top of tops) {
    const topPath = join(root, top)
    const topZone = describeZone(top, topPath, null)
    if ('reason' in topZone) return { ok: false, ...topZone }
    zones.push(topZone)
    // subzones nest inside the parent; root-level links to the same directories are deduplicated
    const pattern = subZonePattern(TOP_ZONE.exec(top)![1])
    const subs = new Map<string, string>()
    for (const e of attempt(() => readdirSync(topPath), [])) if (pattern.test(e)) subs.set(e, join(topPath, e))
    for (const e of entries) if (pattern.test(e) && !subs.has(e)) subs.set(e, join(root, e))
    for (const sub of [...subs.keys()].sort(numericSort(pattern))) {
      const subZone = describeZone(sub, subs.get(sub)!, topZone)
      if ('reason' in subZone) return { ok: false, ...subZone }
      zones.push(subZone)
    }
  }
  return { ok: true, zones }
}

function describeZone(zone: string, path: string, parent: RaplZone | null): RaplZone | { reason: string; denied: boolean } {
  const name = readOptional(join(path, 'name')) || zone
  const first = readCounterOrWhy(join(path, 'energy_uj'))
  if (typeof first !== 'number') return first
  const max = attempt(() => readUj(join(path, 'max_energy_range_uj')), 0)
  if (max <= 0) return { reason: `max_energy_range_uj is missing or invalid, wraparound cannot be corrected: ${path}`, denied: false }
  const id = parent ? `${parent.id}/${name}` : name
  const kind = kindOf(name)
  const contained_in = parent && kind !== 'dram' && kind !== 'psys' ? parent.id : null
  return { id, zone, path, name, kind, parent: parent?.id ?? null, contained_in, max_energy_range_uj: max, wrap_ceiling_w: wrapCeilingW(path) }
}
