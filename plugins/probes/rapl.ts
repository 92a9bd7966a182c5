/**
 * RAPL energy counters read through the Linux powercap tree (/sys/class/powercap). Intel and AMD
 * (Zen and later) both publish their counters there as `intel-rapl:N` zones. This is a measurement:
 * the values come from the CPU's own energy accumulators, so method 'counter', confidence 'high'.
 *
 * Layout (real sysfs links every zone at the root as well as nesting subzones in their parent):
 *   intel-rapl:0/{name=package-0, energy_uj, max_energy_range_uj, constraint_*_power_limit_uw}
 *   intel-rapl:0/intel-rapl:0:0/{name=core, ...}     also linked as intel-rapl:0:0 at the root
 *   intel-rapl:1/{name=psys, ...}                     platform zone on some client machines
 *   intel-rapl:0/{name=package-0-die-0, ...}          one zone per die where the kernel counts
 *   intel-rapl:1/{name=package-0-die-1, ...}          several dies per package (see rapl-dies.ts)
 * `intel-rapl-mmio:*` zones are a second interface to the same package counter and are ignored,
 * as is the `intel-rapl` control-type directory.
 */
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import type { EnergyDomainReading, Probe, ProbeAvailability, ProbeSession } from 'llem/plugin/runtime'
import { LlemError, lazySchema } from 'llem/plugin/runtime'
import { hostCpuIdleWindow } from './host-cpu-idle.js'
import { DEFAULT_PROC_STAT } from './proc-stat.js'
import { raplReadAccessFix } from './rapl-access.js'
import { RAPL_COUNTER, RAPL_DRAM_ACCURACY, RAPL_PACKAGE_ACCURACY } from './rapl-accuracy.js'
import { DieCounting } from './rapl-dies.js'
import { DEFAULT_POWERCAP_ROOT, discoverRaplZones, readCounter, type RaplZone } from './rapl-zones.js'

export { DEFAULT_POWERCAP_ROOT, DEFAULT_WRAP_CEILING_W, discoverRaplZones, type RaplZone } from './rapl-zones.js'

export const raplOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** powercap root; tests point it at a fake tree */
    root: z.string().min(1).optional(),
    /** the kernel's CPU time counters, read to tell whether the host is idle during the idle baseline;
     *  tests point it at a fake file */
    procStat: z.string().min(1).optional(),
  }),
)
export type RaplOptions = z.infer<typeof raplOptionsSchema>

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

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
  /** the last poll read this zone's counter (a failed read leaves lastRaw stale) */
  lastReadOk: boolean
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
      // a root-only counter: say how to grant read access instead of leaving the user on the estimate
      if (!found.ok) return { available: false, reason: found.reason, ...(found.denied ? { fix: raplReadAccessFix() } : {}) }
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
        return { zone, lastRaw: raw, lastReadMs: t0, accUj: 0, accAtSampleUj: 0, wraps: 0, riskyGapS: 0, readFailures: 0, lastError: null, lastReadOk: true }
      })
      let lastSampleMs = t0
      // die zones that read one package counter are counted once (rapl-dies.ts)
      const dies = new DieCounting(states, (z) => readCounter(join(z.path, 'energy_uj')))
      const containedIn = (s: ZoneState): string | null => dies.copyOf(s) ?? s.zone.contained_in

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
          s.lastReadOk = typeof raw === 'number'
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
        dies.check()
        return t
      }

      return {
        probe: 'rapl',
        method: 'counter',
        confidence: 'high',
        readEnergy(): EnergyDomainReading[] {
          poll()
          return states.map((s) => {
            const reading: EnergyDomainReading = { domain: s.zone.id, kind: s.zone.kind, energy_j: s.accUj / 1e6 }
            const inside = containedIn(s)
            if (inside !== null) reading.contained_in = inside
            return reading
          })
        },
        // llem does not measure RAPL's update period: the documented ~1 ms stands in (rapl-accuracy.ts)
        errorModel: (reading: EnergyDomainReading) => ({
          method: 'counter',
          accuracy: reading.kind === 'dram' ? RAPL_DRAM_ACCURACY : RAPL_PACKAGE_ACCURACY,
          resolution_j: RAPL_COUNTER.resolution_j,
          update_period_ms: RAPL_COUNTER.period_ms,
          edge_power_from_timeline: false,
        }),
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
            counting: 'core/uncore are inside their package, psys spans the platform, and a die zone that reads the same counter as another die is a copy: sum with totalsByKind()',
            zones: states.map((s) => {
              const { path: _path, wrap_ceiling_w: _w, ...z } = s.zone
              const contained_in = containedIn(s)
              return { ...z, contained_in, counted_in_totals: contained_in === null && (z.kind === 'cpu' || z.kind === 'dram') }
            }),
            // how each package's die zones are counted, and what the counters showed (rapl-dies.ts)
            ...(dies.decisions.length ? { dies: dies.decisions } : {}),
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
          out.push(...dies.warnings())
          return out
        },
        // the packages and DRAM draw for every process on the host: the baseline needs idle CPUs
        idleWindow: () => hostCpuIdleWindow(options.procStat ?? DEFAULT_PROC_STAT),
        close(): void {},
      }
    },
  }
}

export const raplProbe: Probe<RaplOptions> = createRaplProbe()
