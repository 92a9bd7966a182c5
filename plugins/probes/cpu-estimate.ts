/**
 * CPU energy ESTIMATE for machines where no energy counter can be read (no RAPL, or RAPL is
 * root-only). It is a model, not a measurement: method 'estimate', confidence 'low', and every
 * session says so in warnings(). The harness uses it only when the rapl probe is unavailable.
 *
 * Model: power_W = cores × (idle + (max − idle) × utilisation), utilisation from /proc/stat.
 * Because the model is linear in utilisation and utilisation is busy time / total time, the
 * integrated energy does not depend on how often readEnergy() is called.
 *
 * /proc/stat counts the whole host (a container sees the host's counters), and os.cpus() also
 * lists the host's CPUs, so the estimate is for the host's CPU packages, not for this process.
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import type { EnergyDomainReading, Probe, ProbeAvailability, ProbeSession } from 'llem/plugin/runtime'
import { LlemError, lazySchema } from 'llem/plugin/runtime'
import { hostCpuIdleWindow } from './host-cpu-idle.js'
import { DEFAULT_PROC_STAT, parseProcStat, utilisation, type CpuTimes } from './proc-stat.js'

export { DEFAULT_PROC_STAT, parseProcStat, utilisation, type CpuTimes } from './proc-stat.js'

/**
 * Per logical CPU, at full load. TDP divided by hardware threads for common parts:
 * Xeon Platinum 8380 270 W / 80 = 3.4; Xeon Platinum 8480+ 350 W / 112 = 3.1;
 * EPYC 7763 280 W / 128 = 2.2; EPYC 9654 360 W / 192 = 1.9; Core i7-1165G7 28 W / 8 = 3.5;
 * Core i9-13900K 125 W base / 32 = 3.9. 3.5 W sits at the top of the server range because a
 * loaded package runs at or above TDP (turbo power limits), and matches client parts.
 * CodeCarbon's fallback is in the same spirit: a constant power derived from the CPU's TDP.
 */
export const DEFAULT_MAX_WATTS_PER_CORE = 3.5

/**
 * Per logical CPU, idle. An idle package is not at zero: uncore, memory controller and fabric
 * stay powered, which on servers is roughly a quarter to a third of TDP. 1.0 W is ~30% of the
 * 3.5 W maximum; client parts in deep C-states idle lower, so this errs high for laptops.
 */
export const DEFAULT_IDLE_WATTS_PER_CORE = 1.0

export const cpuEstimateOptionsSchema = lazySchema((z) =>
  z
    .strictObject({
      /** path of the kernel's CPU time counters; tests point it at a fake file */
      procStat: z.string().min(1).optional(),
      idleWattsPerCore: z.number().nonnegative().optional(),
      maxWattsPerCore: z.number().positive().optional(),
      /** logical CPUs the model multiplies by; default os.cpus().length */
      cores: z.number().int().positive().optional(),
    })
    .refine(
      (o) => (o.idleWattsPerCore ?? DEFAULT_IDLE_WATTS_PER_CORE) <= (o.maxWattsPerCore ?? DEFAULT_MAX_WATTS_PER_CORE),
      { message: 'idleWattsPerCore must not exceed maxWattsPerCore', path: ['idleWattsPerCore'] },
    ),
)
export type CpuEstimateOptions = z.infer<typeof cpuEstimateOptionsSchema>

interface Model {
  cores: number
  idle: number
  max: number
}

function powerW(m: Model, util: number): number {
  return m.cores * (m.idle + (m.max - m.idle) * util)
}

function resolve(options: CpuEstimateOptions, cpuCount: () => number): Model & { procStat: string } {
  return {
    procStat: options.procStat ?? DEFAULT_PROC_STAT,
    cores: options.cores ?? Math.max(1, cpuCount()),
    idle: options.idleWattsPerCore ?? DEFAULT_IDLE_WATTS_PER_CORE,
    max: options.maxWattsPerCore ?? DEFAULT_MAX_WATTS_PER_CORE,
  }
}

export interface CpuEstimateDeps {
  /** monotonic clock in milliseconds; tests inject one */
  now?: () => number
  /** logical CPU count used when options.cores is absent */
  cpuCount?: () => number
}

/** Factory so tests can inject a clock; `cpuEstimateProbe` below is the instance the harness uses. */
export function createCpuEstimateProbe(deps: CpuEstimateDeps = {}): Probe<CpuEstimateOptions> {
  const now = deps.now ?? (() => performance.now())
  const cpuCount = deps.cpuCount ?? (() => os.cpus().length)

  return {
    name: 'cpu-estimate',
    options: cpuEstimateOptionsSchema,

    async available(options: CpuEstimateOptions): Promise<ProbeAvailability> {
      const { procStat } = resolve(options, cpuCount)
      try {
        parseProcStat(readFileSync(procStat, 'utf8'))
      } catch (e) {
        return { available: false, reason: `cannot read CPU times from ${procStat}: ${(e as Error).message}` }
      }
      return { available: true, reason: `estimate from ${procStat} utilisation and a per-core power model (not a measurement)` }
    },

    async open(options: CpuEstimateOptions): Promise<ProbeSession> {
      const m = resolve(options, cpuCount)
      const read = () => parseProcStat(readFileSync(m.procStat, 'utf8'))
      let first: CpuTimes
      try {
        first = read()
      } catch (e) {
        throw new LlemError('PROBE_FAILED', `cpu-estimate probe: cannot read ${m.procStat}: ${(e as Error).message}`, { cause: e })
      }
      const t0 = now()
      // energy and sample() keep separate cursors so that calling one does not reset the other
      const energy = { times: first, t: t0, joules: 0, util: 0 }
      const sampler = { times: first }
      let readFailures = 0

      function snapshot(): CpuTimes | null {
        try {
          return read()
        } catch {
          // the next good read spans this interval as well, so skipping loses nothing
          readFailures++
          return null
        }
      }

      return {
        probe: 'cpu-estimate',
        method: 'estimate',
        confidence: 'low',

        readEnergy(): EnergyDomainReading[] {
          const cur = snapshot()
          if (cur) {
            const t = now()
            const dtS = (t - energy.t) / 1000
            // no tick elapsed (two calls within ~10 ms): keep the last utilisation for that sliver
            const util = utilisation(energy.times, cur) ?? energy.util
            if (dtS > 0) energy.joules += powerW(m, util) * dtS
            energy.util = util
            energy.times = cur
            energy.t = t
          }
          return [{ domain: 'cpu', kind: 'cpu', energy_j: energy.joules }]
        },

        sample(): Record<string, number> {
          const cur = snapshot()
          if (!cur) return {}
          const util = utilisation(sampler.times, cur)
          // no tick elapsed since the last sample: report nothing rather than invent a value
          if (util === null) return {}
          sampler.times = cur
          return { cpu_util_pct: util * 100, cpu_estimated_power_w: powerW(m, util) }
        },

        // the interval spans what the model allows at the measured utilisation (idle to max per core)
        errorModel: () => ({ method: 'estimate', model: { cores: m.cores, idle_w_per_core: m.idle, max_w_per_core: m.max } }),

        describe(): Record<string, unknown> {
          return {
            probe: 'cpu-estimate',
            method: 'estimate',
            source: m.procStat,
            model: 'power_w = cores * (idle_w + (max_w - idle_w) * utilisation)',
            cores: m.cores,
            idle_watts_per_core: m.idle,
            max_watts_per_core: m.max,
            cpu_model: os.cpus()[0]?.model ?? null,
          }
        },

        warnings(): string[] {
          const out = [
            `cpu energy is an estimate from ${m.procStat} utilisation and a per-core power model ` +
              `(${m.cores} cores × ${m.idle}–${m.max} W), not a measurement`,
          ]
          if (readFailures > 0) out.push(`cpu-estimate: ${m.procStat} could not be read ${readFailures} time(s)`)
          return out
        },

        // the model follows the host's utilisation: a baseline on busy CPUs would be their work, not idle
        idleWindow: () => hostCpuIdleWindow(m.procStat),
        close(): void {},
      }
    },
  }
}

export const cpuEstimateProbe: Probe<CpuEstimateOptions> = createCpuEstimateProbe()
