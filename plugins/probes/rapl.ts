/**
 * RAPL energy counters read through the Linux powercap tree (/sys/class/powercap). Intel and AMD
 * (Zen and later) both publish their counters there as `intel-rapl:N` zones. This is a measurement:
 * the values come from the CPU's own energy accumulators, so method 'counter', confidence 'high'.
 *
 * Layout (real sysfs links every zone at the root as well as nesting subzones in their parent):
 *   intel-rapl:0/{name=package-0, energy_uj, max_energy_range_uj, constraint_*_power_limit_uw}
 *   intel-rapl:0/intel-rapl:0:0/{name=core, ...}     also linked as intel-rapl:0:0 at the root
 *   intel-rapl:1/{name=psys, ...}                     platform zone on some client machines
 * `intel-rapl-mmio:*` zones are a second interface to the same package counter and are ignored,
 * as is the `intel-rapl` control-type directory.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { z } from 'zod'
import { LlemError } from '../../core/errors.js'
import type { EnergyDomainKind, EnergyDomainReading, Probe, ProbeAvailability, ProbeSession } from '../../core/probes/types.js'

export const DEFAULT_POWERCAP_ROOT = '/sys/class/powercap'

/**
 * Power assumed when a zone publishes no power limit, used only to decide when two reads are far
 * enough apart that the counter could have wrapped twice. 500 W matches the highest x86 server
 * package TDPs (EPYC 9005, Xeon 6900P), and DRAM draws far less, so the warning errs early.
 */
export const DEFAULT_WRAP_CEILING_W = 500

export const raplOptionsSchema = z.strictObject({
  /** powercap root; tests point it at a fake tree */
  root: z.string().min(1).optional(),
})
export type RaplOptions = z.infer<typeof raplOptionsSchema>

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
const kindOf = (name: string): EnergyDomainKind => (/^package-\d+$/.test(name) ? 'cpu' : (KINDS[name] ?? 'other'))

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The counter in µJ, or a one-line reason it cannot be read (EACCES is usual since Linux 5.10). */
function readCounter(file: string): number | string {
  try {
    return readUj(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code ?? String(e)
    const why = code === 'EACCES' || code === 'EPERM' ? 'root only on this kernel: run as root or chmod' : code
    return `energy_uj is not readable (${why}): ${file}`
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

type Discovery = { ok: true; zones: RaplZone[] } | { ok: false; reason: string }

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
    if ('reason' in topZone) return { ok: false, reason: topZone.reason }
    zones.push(topZone)
    // subzones nest inside the parent; root-level links to the same directories are deduplicated
    const pattern = subZonePattern(TOP_ZONE.exec(top)![1])
    const subs = new Map<string, string>()
    for (const e of attempt(() => readdirSync(topPath), [])) if (pattern.test(e)) subs.set(e, join(topPath, e))
    for (const e of entries) if (pattern.test(e) && !subs.has(e)) subs.set(e, join(root, e))
    for (const sub of [...subs.keys()].sort(numericSort(pattern))) {
      const subZone = describeZone(sub, subs.get(sub)!, topZone)
      if ('reason' in subZone) return { ok: false, reason: subZone.reason }
      zones.push(subZone)
    }
  }
  return { ok: true, zones }
}

function describeZone(zone: string, path: string, parent: RaplZone | null): RaplZone | { reason: string } {
  const name = readOptional(join(path, 'name')) || zone
  const first = readCounter(join(path, 'energy_uj'))
  if (typeof first === 'string') return { reason: first }
  const max = attempt(() => readUj(join(path, 'max_energy_range_uj')), 0)
  if (max <= 0) return { reason: `max_energy_range_uj is missing or invalid, wraparound cannot be corrected: ${path}` }
  const id = parent ? `${parent.id}/${name}` : name
  const kind = kindOf(name)
  const contained_in = parent && kind !== 'dram' && kind !== 'psys' ? parent.id : null
  return { id, zone, path, name, kind, parent: parent?.id ?? null, contained_in, max_energy_range_uj: max, wrap_ceiling_w: wrapCeilingW(path) }
}

/**
 * Totals that do not double count: a package already contains its core and uncore subzones, which
 * readEnergy() marks with `contained_in`, so 'cpu' sums the packages only; 'dram' sums the dram
 * domains (outside the package); psys (spans the platform, overlaps both) and 'other' are left
 * out. The harness applies the same rule to every probe. null means no domain of that kind was
 * measured, which is not the same as zero joules.
 */
export interface RaplTotals {
  /** joules: sum of cpu domains not contained in another (the packages) */
  cpu: number | null
  /** joules: sum of dram domains */
  dram: number | null
}

export function totalsByKind(readings: readonly EnergyDomainReading[]): RaplTotals {
  let cpu: number | null = null
  let dram: number | null = null
  for (const r of readings) {
    if (r.contained_in !== undefined) continue
    if (r.kind === 'cpu') cpu = (cpu ?? 0) + r.energy_j
    else if (r.kind === 'dram') dram = (dram ?? 0) + r.energy_j
  }
  return { cpu, dram }
}

/** per zone: last raw counter and when it was read, µJ since open (and at the last sample()),
 *  wraps corrected, longest read gap (s) that exceeded the wrap window, failed reads */
interface ZoneState {
  zone: RaplZone
  lastRaw: number
  lastReadMs: number
  accUj: number
  accAtSampleUj: number
  wraps: number
  riskyGapS: number
  readFailures: number
  lastError: string | null
}

/**
 * Factory so tests can inject a monotonic clock in ms (kept out of the options schema, which is
 * user-facing); `raplProbe` below is the instance the harness uses.
 */
export function createRaplProbe(deps: { now?: () => number } = {}): Probe<RaplOptions> {
  const now = deps.now ?? (() => performance.now())
  return {
    name: 'rapl',
    options: raplOptionsSchema,

    async available(options: RaplOptions): Promise<ProbeAvailability> {
      const root = options.root ?? DEFAULT_POWERCAP_ROOT
      const found = discoverRaplZones(root)
      if (!found.ok) return { available: false, reason: found.reason }
      return { available: true, reason: `RAPL energy counters: ${found.zones.map((z) => z.id).join(', ')}` }
    },

    async open(options: RaplOptions): Promise<ProbeSession> {
      const root = options.root ?? DEFAULT_POWERCAP_ROOT
      const found = discoverRaplZones(root)
      if (!found.ok) throw new LlemError('PROBE_FAILED', `rapl probe unavailable: ${found.reason}`)
      const t0 = now()
      const states: ZoneState[] = found.zones.map((zone) => {
        const raw = readCounter(join(zone.path, 'energy_uj'))
        if (typeof raw === 'string') throw new LlemError('PROBE_FAILED', `rapl probe: ${raw}`)
        return { zone, lastRaw: raw, lastReadMs: t0, accUj: 0, accAtSampleUj: 0, wraps: 0, riskyGapS: 0, readFailures: 0, lastError: null }
      })
      let lastSampleMs = t0

      /**
       * Reads every counter and folds the delta into the running total. A reading lower than the
       * previous one is a wrap: add max_energy_range_uj once. That is only right if the counter
       * wrapped at most once since the last read, so this must run often: the harness calls it
       * at every sample interval, far below the minutes a counter takes to wrap.
       */
      function poll(): number {
        const t = now()
        for (const s of states) {
          const raw = readCounter(join(s.zone.path, 'energy_uj'))
          if (typeof raw === 'string') {
            // the next good read covers this interval too, so no energy is lost unless it wraps twice
            s.readFailures++
            s.lastError = raw
            continue
          }
          let delta = raw - s.lastRaw
          if (delta < 0) {
            delta += s.zone.max_energy_range_uj
            s.wraps++
          }
          const gapS = (t - s.lastReadMs) / 1000
          const wrapWindowS = s.zone.max_energy_range_uj / 1e6 / s.zone.wrap_ceiling_w
          if (gapS >= wrapWindowS && gapS > s.riskyGapS) s.riskyGapS = gapS
          s.accUj += delta
          s.lastRaw = raw
          s.lastReadMs = t
        }
        return t
      }

      return {
        probe: 'rapl',
        method: 'counter',
        confidence: 'high',
        readEnergy(): EnergyDomainReading[] {
          poll()
          return states.map(({ zone: z, accUj }) => {
            const reading: EnergyDomainReading = { domain: z.id, kind: z.kind, energy_j: accUj / 1e6 }
            if (z.contained_in !== null) reading.contained_in = z.contained_in
            return reading
          })
        },
        sample(): Record<string, number> {
          const t = poll()
          const dtS = (t - lastSampleMs) / 1000
          const out: Record<string, number> = {}
          if (dtS <= 0) return out // no time passed: no power to report, rather than a division by zero
          for (const s of states) {
            out[`rapl_${s.zone.id.replaceAll('/', '_')}_w`] = (s.accUj - s.accAtSampleUj) / 1e6 / dtS
            s.accAtSampleUj = s.accUj
          }
          lastSampleMs = t
          return out
        },
        describe(): Record<string, unknown> {
          return {
            probe: 'rapl',
            source: root,
            method: 'counter',
            counting: 'core/uncore are inside their package and psys spans the platform: sum with totalsByKind()',
            zones: states.map(({ zone: { path: _path, wrap_ceiling_w: _w, ...z } }) => ({
              ...z,
              counted_in_totals: z.contained_in === null && (z.kind === 'cpu' || z.kind === 'dram'),
            })),
          }
        },
        warnings(): string[] {
          const out: string[] = []
          for (const s of states) {
            const z = s.zone
            const windowS = z.max_energy_range_uj / 1e6 / z.wrap_ceiling_w
            if (s.wraps > 0) out.push(`rapl ${z.id}: energy counter wrapped ${plural(s.wraps, 'time')}, corrected by adding max_energy_range_uj (${z.max_energy_range_uj} µJ) each time`)
            if (s.riskyGapS > 0) out.push(`rapl ${z.id}: ${s.riskyGapS.toFixed(1)} s passed between two counter reads, longer than the ${windowS.toFixed(1)} s the counter needs to wrap at ${z.wrap_ceiling_w} W; a second wrap would go unnoticed and undercount energy`)
            if (s.readFailures > 0) out.push(`rapl ${z.id}: ${plural(s.readFailures, 'failed read')} (last: ${s.lastError}); the next good read covered those intervals`)
          }
          return out
        },
        close(): void {},
      }
    },
  }
}

export const raplProbe: Probe<RaplOptions> = createRaplProbe()
