/**
 * The `nvml` probe: GPU energy from NVML's total-energy counter (Volta and later), read at window
 * boundaries, with a timeline of instant power, temperature, utilisation, memory, clocks and
 * clocks-event reasons beside it. Pre-Volta GPUs integrate instant power instead, labelled as such.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import { lazySchema } from 'llem/plugin/runtime'
import type { EnergyDomainReading, Probe, ProbeDevice, ProbeSession, SensorErrorModel } from 'llem/plugin/runtime'
import { NVML_COUNTER, NVML_COUNTER_ACCURACY, NVML_INSTANT_ACCURACY } from './accuracy.js'
import { resolveVisibleDevices, type VisibleDevice } from './devices.js'
import { Nvml, NvmlError, NvmlLoadError, NVML_ARCH, NVML_RETURN } from './nvml.js'
import { NVML_THROTTLE_REASONS } from './throttle.js'
import { isSuperchip, ModuleEnergy, moduleDomain, superchipWarning } from './superchip.js'

export const nvmlOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** a library name or path instead of libnvidia-ml.so.1 from the system loader */
    library: z.string().min(1).optional(),
  }),
)
export type NvmlOptions = z.infer<typeof nvmlOptionsSchema>

/** temperature, utilisation, memory, clocks and throttle reasons change slowly: read them this often at most */
const SLOW_READ_MS = 50

/** Whether pid is this process or one it started (a managed server): not "another process". */
function isOurs(pid: number): boolean {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === process.pid) return true
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    } catch {
      return false
    }
  }
  return false
}

const ARCH_NAMES = Object.fromEntries(Object.entries(NVML_ARCH).map(([k, v]) => [v, k.toLowerCase()]))

function openNvml(options: NvmlOptions): Nvml {
  return Nvml.open(options.library)
}

function whyUnavailable(e: unknown): string {
  if (e instanceof NvmlLoadError) return e.message
  if (e instanceof NvmlError && e.code === NVML_RETURN.DRIVER_NOT_LOADED) return 'NVML is installed but the NVIDIA kernel driver is not loaded'
  return e instanceof Error ? e.message : String(e)
}

/**
 * Poll the counter through its changes (up to 6, within `budgetMs`: this runs at every probe opening).
 * NVML gives the counter no time of its own: a step happened after the read before the one that sees
 * it, so it is timed only to within [the clock before that earlier read, the clock after the read
 * that sees it]. A poll the scheduler delayed makes one gap look long and the next short, and on a
 * loaded machine several are delayed in a few milliseconds, so a plain median of the gaps can be wrong. A counter that steps
 * every P ms puts P within [low(i) - high(i-1), high(i) - low(i-1)] for every pair of changes: where
 * all those intervals overlap, the overlap's middle is the period. Where they do not (steps not evenly
 * spaced), the median of the gaps timed to within a tenth of themselves, else of all gaps.
 */
export function counterPeriodMs(readCounter: () => number, budgetMs = 600, now: () => number = () => performance.now()): number | null {
  let before = now()
  const end = before + budgetMs
  let last = readCounter()
  const changes: Array<{ low: number; high: number }> = []
  while (changes.length < 6) {
    const previousBefore = before
    before = now()
    const v = readCounter()
    const after = now()
    if (v !== last) {
      changes.push({ low: previousBefore, high: after })
      last = v
    }
    if (after >= end) break
  }
  if (changes.length < 2) return null
  let lo = -Infinity
  let hi = Infinity
  const gaps = changes.slice(1).map((c, i) => {
    const p = changes[i]
    lo = Math.max(lo, c.low - p.high)
    hi = Math.min(hi, c.high - p.low)
    return { gap: c.high - p.high, spread: Math.max(c.high - c.low, p.high - p.low) }
  })
  if (lo <= hi) return (lo + hi) / 2
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const precise = gaps.filter((g) => g.spread <= g.gap / 10).map((g) => g.gap)
  return median(precise.length ? precise : gaps.map((g) => g.gap))
}

function counterWorks(nvml: Nvml, d: VisibleDevice): boolean {
  try {
    nvml.totalEnergyMj(d.handle)
    return true
  } catch (e) {
    if (e instanceof NvmlError && e.code === NVML_RETURN.NOT_SUPPORTED) return false
    throw e
  }
}

export const nvmlProbe: Probe<NvmlOptions> = {
  name: 'nvml',
  options: nvmlOptionsSchema,

  async available(options) {
    let nvml: Nvml | undefined
    try {
      nvml = openNvml(options)
      const n = nvml.deviceCount()
      if (n === 0) return { available: false, reason: 'NVML loaded, but it sees no GPU' }
      const names = Array.from({ length: n }, (_, i) => nvml!.name(nvml!.handleByIndex(i)))
      return { available: true, reason: `${n} GPU${n > 1 ? 's' : ''}: ${[...new Set(names)].join(', ')} (driver ${nvml.driverVersion() ?? 'unknown'})` }
    } catch (e) {
      return { available: false, reason: whyUnavailable(e) }
    } finally {
      nvml?.shutdown()
    }
  },

  async inventory(options) {
    const nvml = openNvml(options)
    try {
      return Array.from({ length: nvml.deviceCount() }, (_, i) => {
        const h = nvml.handleByIndex(i)
        const mem = nvml.memoryInfo(h)
        const mig = nvml.migMode(h)
        const limit = nvml.powerLimitMw(h)
        let counter: string
        try {
          nvml.totalEnergyMj(h)
          counter = 'works'
        } catch (e) {
          counter = e instanceof NvmlError ? `not available (${e.codeName})` : String(e)
        }
        const name = nvml.name(h)
        // a superchip's module power (Grace CPU + GPU + memory), the figure llem totals there
        const modulePower = isSuperchip(nvml, name, h) ? nvml.moduleInstantPowerMw(h) : null
        return { index: i, uuid: nvml.uuid(h), name, pci_bus_id: nvml.pciBusId(h), memory_mb: mem ? Math.round(mem.total / 1048576) : null, power_limit_w: limit === null ? null : limit / 1000, mig_mode: mig === null ? null : mig.current, energy_counter: counter, module_power_w: modulePower === null ? null : modulePower / 1000 }
      })
    } finally {
      nvml.shutdown()
    }
  },

  async accelerators(options) {
    const nvml = openNvml(options)
    try {
      return Array.from({ length: nvml.deviceCount() }, (_, i) => {
        const h = nvml.handleByIndex(i)
        const uuid = nvml.uuid(h)
        // CUDA_VISIBLE_DEVICES takes the UUID
        return { uuid, index: i, name: nvml.name(h), vendor: 'nvidia' as const, visible_id: uuid }
      })
    } finally {
      nvml.shutdown()
    }
  },

  async temperatures(options, uuids) {
    const out = new Map<string, number>()
    const nvml = openNvml(options)
    try {
      for (let i = 0; i < nvml.deviceCount(); i++) {
        const h = nvml.handleByIndex(i)
        const uuid = nvml.uuid(h)
        const t = uuids.includes(uuid) ? nvml.temperatureC(h) : null
        if (t !== null) out.set(uuid, t)
      }
    } finally {
      nvml.shutdown()
    }
    return out
  },

  async open(options): Promise<ProbeSession> {
    const nvml = openNvml(options)
    const { devices: visible, warnings: mapWarnings } = resolveVisibleDevices(nvml, process.env.CUDA_VISIBLE_DEVICES, process.env.CUDA_DEVICE_ORDER)
    const warnings = [...mapWarnings]
    const state = visible.map((d) => {
      const counter = counterWorks(nvml, d)
      const arch = nvml.architecture(d.handle)
      if (!counter) warnings.push(`${d.name} (${d.uuid}) has no energy counter${arch !== null && arch < NVML_ARCH.VOLTA ? ' (older than Volta)' : ''}: its energy integrates instant power, which misses short phases`)
      const start = counter ? nvml.totalEnergyMj(d.handle) : 0
      // a superchip's module (Grace CPU + GPU + memory) is measured beside the GPU (superchip.ts)
      const module = isSuperchip(nvml, d.name, d.handle) ? new ModuleEnergy(nvml, d.handle) : null
      if (module) {
        module.read(performance.now())
        warnings.push(superchipWarning(d.name, d.uuid))
      }
      return { d, counter, arch, start, module, last: start, lastRead: -Infinity, readEvery: 0, offsetMj: 0, resets: 0, integratedJ: 0, lastPower: null as null | { t: number; w: number } }
    })
    const period = new Map(state.map((s) => [s.d.uuid, s.counter ? counterPeriodMs(() => nvml.totalEnergyMj(s.d.handle)) : null]))
    // a counter read more often than it updates returns the same value: within one update period
    // (at most 20 ms) the last reading stands, which halves the FFI calls of a 10 ms timeline
    for (const s of state) s.readEvery = Math.min(period.get(s.d.uuid) ?? 0, 20)
    for (const s of state)
      if (s.counter && period.get(s.d.uuid) === null) warnings.push(`${s.d.name} (${s.d.uuid}): the energy counter did not change twice in 600 ms at open (an idle GPU with a coarse counter?): its update period is unknown, so short windows are not flagged and the cross-check is skipped`)
    // columns by the host's index, as devices[].index and nvidia-smi number the GPU
    const col = (d: VisibleDevice, name: string) => `gpu${d.nvmlIndex}_${name}`
    const powerW = (d: VisibleDevice) => {
      const mw = nvml.instantPowerMw(d.handle) ?? nvml.powerUsageMw(d.handle)
      return mw === null ? null : mw / 1000
    }
    const snapshot = state.map(({ d, arch }) => {
      const mem = nvml.memoryInfo(d.handle)
      const cc = nvml.computeCapability(d.handle)
      const pcie = nvml.pcie(d.handle)
      const limit = nvml.powerLimitMw(d.handle)
      const def = nvml.defaultPowerLimitMw(d.handle)
      const persistence = nvml.persistenceMode(d.handle)
      if (persistence === false) warnings.push(`${d.name} (${d.uuid}): persistence mode is off: the driver may reinitialise the GPU between runs, adding latency and power transients`)
      if (limit !== null && def !== null && limit < def) warnings.push(`${d.name} (${d.uuid}): power limit ${limit / 1000} W is below its default ${def / 1000} W: results are not comparable with a stock GPU`)
      return {
        index: d.nvmlIndex, cuda_index: d.cudaIndex, driver_index: d.nvmlIndex, uuid: d.uuid, name: d.name,
        vram_total_mb: mem ? Math.round(mem.total / 1048576) : null,
        compute_capability: cc ? `${cc.major}.${cc.minor}` : null,
        architecture: arch === null ? null : (ARCH_NAMES[arch] ?? `arch_${arch}`),
        power_limit_w: limit === null ? null : limit / 1000,
        default_power_limit_w: def === null ? null : def / 1000,
        persistence_mode: persistence,
        mig_mode: nvml.migMode(d.handle),
        pcie: pcie ? { generation: pcie.generation, width: pcie.width } : null,
        pci_bus_id: nvml.pciBusId(d.handle),
        temperature_c_at_start: nvml.temperatureC(d.handle),
        energy_counter: state.find((s) => s.d === d)!.counter,
        module_power_scope: state.find((s) => s.d === d)!.module !== null,
        counter_update_period_ms: period.get(d.uuid) ?? null,
      }
    })
    const cols = state.map(({ d }) => ({
      power_w: col(d, 'power_w'), temp_c: col(d, 'temp_c'), sm_util_pct: col(d, 'sm_util_pct'), mem_util_pct: col(d, 'mem_util_pct'),
      mem_used_mb: col(d, 'mem_used_mb'), sm_clock_mhz: col(d, 'sm_clock_mhz'), mem_clock_mhz: col(d, 'mem_clock_mhz'), clocks_event_reasons: col(d, 'clocks_event_reasons'),
    }))
    let lastFullRead = -Infinity
    const described = { driver_version: nvml.driverVersion(), cuda_driver_version: nvml.cudaDriverVersion(), gpus: snapshot }

    return {
      probe: 'nvml',
      method: 'counter',
      confidence: 'high',
      // a GPU without a counter integrates instant power, whose accuracy NVML states apart
      errorModel(reading, device): SensorErrorModel | null {
        if (reading.kind !== 'gpu') return null
        if (reading.method === 'integrated_power') return { method: 'integrated_power', accuracy: NVML_INSTANT_ACCURACY }
        return { method: 'counter', accuracy: NVML_COUNTER_ACCURACY, resolution_j: NVML_COUNTER.resolution_j, update_period_ms: device?.counter_update_period_ms ?? null, fallback_period_ms: NVML_COUNTER.fallback_period_ms, edge_power_from_timeline: true }
      },
      readEnergy(opts): EnergyDomainReading[] {
        const gpus = state.map((s) => {
          if (!s.counter) {
            // no counter: trapezoid of instant power between reads (the timeline reads every interval)
            const t = performance.now()
            const w = powerW(s.d)
            if (w !== null && s.lastPower) s.integratedJ += ((w + s.lastPower.w) / 2) * ((t - s.lastPower.t) / 1000)
            if (w !== null) s.lastPower = { t, w }
            return { domain: s.d.uuid, kind: 'gpu' as const, energy_j: s.integratedJ, method: 'integrated_power' as const }
          }
          const now = performance.now()
          // a window's edges always read the counter: a cached value can be one update old
          if (!opts?.fresh && now - s.lastRead < s.readEvery) return { domain: s.d.uuid, kind: 'gpu' as const, energy_j: (s.last + s.offsetMj - s.start) / 1000 }
          s.lastRead = now
          const v = nvml.totalEnergyMj(s.d.handle)
          if (v < s.last) {
            // the counter restarted (driver reload): keep what was counted before it
            s.offsetMj += s.last
            s.resets++
          }
          s.last = v
          return { domain: s.d.uuid, kind: 'gpu' as const, energy_j: (v + s.offsetMj - s.start) / 1000 }
        })
        const out: EnergyDomainReading[] = []
        gpus.forEach((g, i) => {
          const m = state[i].module
          if (!m) return void out.push(g)
          // the GPU's counter lies inside its module: the GPU component, never added to the total again
          out.push({ ...g, contained_in: moduleDomain(g.domain) }, { domain: moduleDomain(g.domain), kind: 'module', energy_j: m.read(performance.now()), method: 'integrated_power' })
        })
        return out
      },
      sample(opts) {
        // power every call (the timeline's resolution); the slow-moving readings at most every
        // SLOW_READ_MS, which keeps sampling at 10 ms cheap even with 8 GPUs
        const out: Record<string, number> = {}
        const now = performance.now()
        const full = opts?.full === true || now - lastFullRead >= SLOW_READ_MS
        if (full) lastFullRead = now
        for (let i = 0; i < state.length; i++) {
          const d = state[i].d
          const c = cols[i]
          const w = powerW(d)
          if (w !== null) out[c.power_w] = w
          const mw = state[i].module?.watts
          if (mw != null) out[col(d, 'module_power_w')] = mw
          if (!full) continue
          const t = nvml.temperatureC(d.handle)
          if (t !== null) out[c.temp_c] = t
          const u = nvml.utilization(d.handle)
          if (u) {
            out[c.sm_util_pct] = u.gpu
            out[c.mem_util_pct] = u.memory
          }
          const m = nvml.memoryInfo(d.handle)
          if (m) out[c.mem_used_mb] = m.used / 1048576
          const sm = nvml.clockMhz(d.handle, 'sm')
          if (sm !== null) out[c.sm_clock_mhz] = sm
          const mem = nvml.clockMhz(d.handle, 'mem')
          if (mem !== null) out[c.mem_clock_mhz] = mem
          const r = nvml.clocksEventReasons(d.handle)
          if (r !== null) out[c.clocks_event_reasons] = r
        }
        return out
      },
      describe: () => described,
      warnings() {
        const w = [...warnings]
        for (const s of state) if (s.resets) w.push(`${s.d.name} (${s.d.uuid}): the energy counter went backwards ${s.resets} time(s) (driver reload?): energy before each reset was kept, but what was drawn between the last read and the reset (up to one sampling interval) is lost`)
        return w
      },
      devices(): ProbeDevice[] {
        return state.map(({ d }, i) => ({
          domain: d.uuid, index: d.nvmlIndex, cuda_index: d.cudaIndex, driver_index: d.nvmlIndex, uuid: d.uuid, name: d.name, is_mig: d.isMig, mig_profile: d.migProfile,
          columns: cols[i],
          throttle_reasons: NVML_THROTTLE_REASONS,
          counter_update_period_ms: period.get(d.uuid) ?? null,
        }))
      },
      busy(utilisationPct) {
        for (const { d } of state) {
          const u = nvml.utilization(d.handle)
          if (u && u.gpu > utilisationPct) return `${d.name} (${d.uuid}) is ${u.gpu}% utilised (idle means under ${utilisationPct}%)`
        }
        return null
      },
      otherProcesses() {
        const out: { device: string; pid: number; used_memory_mb: number | null }[] = []
        for (const { d } of state)
          for (const p of nvml.computeProcesses(d.handle) ?? [])
            if (!isOurs(p.pid)) out.push({ device: `${d.name} (${d.uuid})`, pid: p.pid, used_memory_mb: p.usedMemoryBytes === null ? null : p.usedMemoryBytes / 1048576 })
        return out
      },
      close() {
        nvml.shutdown()
      },
    }
  },
}
