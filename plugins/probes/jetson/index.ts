/**
 * The `jetson` probe: an NVIDIA Jetson's power rails from its INA3221 monitors (rails.ts), integrated
 * over time into energy. The monitors report power, not energy, so the method is 'integrated_power',
 * confidence 'medium' (short phases between reads are missed). Every rail is a domain named as the
 * board names it; the module (its input rail, or the sum boards.ts names) is a 'module' domain and
 * the total, and the rails inside it make the gpu / cpu / ram components without being added again.
 */
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import type { EnergyDomainReading, Probe, ProbeAvailability, ProbeSession } from 'llem/plugin/runtime'
import { LlemError, lazySchema } from 'llem/plugin/runtime'
import { hostCpuIdleWindow } from '../host-cpu-idle.js'
import { DEFAULT_PROC_STAT } from '../proc-stat.js'
import { isCarrierRail, modulePlan, railKind, type ModulePlan } from './boards.js'
import { closeRails, DEFAULT_I2C_DRIVERS_ROOT, discoverRails, readRailW, type Rail } from './rails.js'

export const jetsonOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** the I2C drivers directory holding ina3221 / ina3221x; tests point it at a fake tree */
    root: z.string().min(1).optional(),
    /** the rails whose sum is the module (one rail: the module's input), for a board llem does not know */
    moduleRails: z.array(z.string().min(1)).min(1).optional(),
    /** the kernel's CPU time counters, for the idle baseline's check that the host is idle */
    procStat: z.string().min(1).optional(),
  }),
)
export type JetsonOptions = z.infer<typeof jetsonOptionsSchema>

/** the synthesised module domain's id where no single rail is the module */
export const MODULE_SUM_DOMAIN = 'module'

function find(options: JetsonOptions): { rails: Rail[]; plan: ModulePlan } | { reason: string } {
  const root = options.root ?? DEFAULT_I2C_DRIVERS_ROOT
  const rails = discoverRails(root)
  if (rails.length === 0) return { reason: `no INA3221 power monitor under ${root}/ina3221 or ${root}/ina3221x (not a Jetson, or one without monitors such as the Nano 2GB)` }
  for (const r of rails) {
    try {
      readRailW(r)
    } catch (e) {
      return { reason: `cannot read rail ${r.name} (${r.files.join(', ')}): ${(e as Error).message}` }
    }
  }
  try {
    return { rails, plan: modulePlan(rails.map((r) => r.name), options.moduleRails) }
  } catch (e) {
    return { reason: (e as Error).message }
  }
}

export function createJetsonProbe(deps: { now?: () => number } = {}): Probe<JetsonOptions> {
  const now = deps.now ?? (() => performance.now())
  return {
    name: 'jetson',
    options: jetsonOptionsSchema,

    async available(options): Promise<ProbeAvailability> {
      const found = find(options)
      if ('reason' in found) return { available: false, reason: found.reason }
      return { available: true, reason: `INA3221 rails ${found.rails.map((r) => r.name).join(', ')}; module = ${found.plan.basis}` }
    },

    async inventory(options) {
      const found = find(options)
      if ('reason' in found) return []
      return found.rails.map((r) => ({ rail: r.name, sensor: r.sensor, channel: r.channel, layout: r.layout, kind: railKind(r.name), power_w: readRailW(r), in_module: found.plan.rails.includes(r.name) }))
    },

    async open(options): Promise<ProbeSession> {
      const found = find(options)
      if ('reason' in found) throw new LlemError('PROBE_FAILED', `jetson probe unavailable: ${found.reason}`)
      const { rails, plan } = found
      // the module's own domain: its input rail, or 'module' for a sum; the other module rails sit inside it
      const moduleId = plan.how === 'rail' ? plan.rails[0] : MODULE_SUM_DOMAIN
      // with an input rail every rail but the carrier board's lies inside it; a sum holds its own rails
      const insideModule = (name: string) => (plan.how === 'sum' ? plan.rails.includes(name) : name !== moduleId && !isCarrierRail(name))
      const state = rails.map((rail) => ({ rail, joules: 0, lastW: null as number | null, lastT: 0, failures: 0, lastError: '' }))
      let lastPoll = -Infinity

      /** reads every rail and adds the trapezoid since its last good read */
      function poll(): void {
        const t = now()
        for (const s of state) {
          let w: number
          try {
            w = readRailW(s.rail)
          } catch (e) {
            // the next good read bridges the gap (linearly): nothing is dropped, it is coarser
            s.failures++
            s.lastError = (e as Error).message
            continue
          }
          if (s.lastW !== null && t > s.lastT) s.joules += ((w + s.lastW) / 2) * ((t - s.lastT) / 1000)
          s.lastW = w
          s.lastT = t
        }
        lastPoll = t
      }
      poll()

      const moduleJ = () => (plan.how === 'rail' ? state.find((s) => s.rail.name === moduleId)!.joules : state.filter((s) => plan.rails.includes(s.rail.name)).reduce((a, s) => a + s.joules, 0))
      const column = (name: string) => `jetson_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_w`

      return {
        probe: 'jetson',
        method: 'integrated_power',
        confidence: 'medium',
        readEnergy(): EnergyDomainReading[] {
          poll()
          const out: EnergyDomainReading[] = state.map((s) => {
            const name = s.rail.name
            if (name === moduleId) return { domain: name, kind: 'module', energy_j: s.joules }
            // a rail outside the module (carrier board, or not in a board's sum) is shown, never a component
            const inside = insideModule(name)
            const d: EnergyDomainReading = { domain: name, kind: inside ? railKind(name) : 'other', energy_j: s.joules }
            if (inside) d.contained_in = moduleId
            return d
          })
          if (plan.how === 'sum') out.push({ domain: MODULE_SUM_DOMAIN, kind: 'module', energy_j: moduleJ() })
          return out
        },
        sample(): Record<string, number> {
          // the timeline reads energy just before sampling: reuse that read rather than read twice
          if (now() - lastPoll > 2) poll()
          const out: Record<string, number> = {}
          for (const s of state) if (s.lastW !== null) out[column(s.rail.name)] = s.lastW
          if (plan.how === 'sum') out[column(MODULE_SUM_DOMAIN)] = state.filter((s) => plan.rails.includes(s.rail.name)).reduce((a, s) => a + (s.lastW ?? 0), 0)
          return out
        },
        describe() {
          return {
            probe: 'jetson',
            method: 'integrated_power',
            source: options.root ?? DEFAULT_I2C_DRIVERS_ROOT,
            module: { domain: moduleId, how: plan.how, rails: plan.rails, basis: plan.basis },
            rails: rails.map((r) => ({ rail: r.name, sensor: r.sensor, channel: r.channel, layout: r.layout, kind: r.name === moduleId ? 'module' : insideModule(r.name) ? railKind(r.name) : 'other', inside_module: r.name !== moduleId && insideModule(r.name) })),
          }
        },
        warnings(): string[] {
          const out = [`jetson: energy integrates the INA3221 rails' power between reads (every timeline sample): phases shorter than the sampling interval are smoothed over`]
          if (plan.warning) out.push(plan.warning)
          for (const s of state) if (s.failures) out.push(`jetson ${s.rail.name}: ${s.failures} failed read(s) (last: ${s.lastError}); the next good read bridged them`)
          return out
        },
        // the module holds the CPUs: the baseline needs them idle, as for RAPL
        idleWindow: () => hostCpuIdleWindow(options.procStat ?? DEFAULT_PROC_STAT),
        close(): void {
          closeRails(rails)
        },
      }
    },
  }
}

export const jetsonProbe: Probe<JetsonOptions> = createJetsonProbe()
