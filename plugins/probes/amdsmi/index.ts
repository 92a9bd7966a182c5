/**
 * The `amdsmi` probe: AMD GPU energy from AMD SMI's energy accumulator (amdsmi_get_energy_count),
 * read at window boundaries with 32-bit wraparound handled, counted once per shared counter (MI250's
 * two dies), with a timeline of socket power, temperature, activity, memory, clocks and throttle
 * reasons beside it. A GPU whose counter is not supported integrates socket power instead, labelled.
 */
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import { lazySchema } from 'llem/plugin/runtime'
import type { EnergyDomainReading, Probe, ProbeDevice, ProbeSession } from 'llem/plugin/runtime'
import { AmdSmi, AmdSmiError, AmdSmiLoadError, AMDSMI_STATUS } from './amdsmi.js'
import { EnergyAccumulator } from './counter.js'
import { listProcessors, resolveVisibleAmdGpus, rocrUuid, sharedCounterGroups, type AmdProcessor, type VisibleAmdGpu } from './devices.js'
import { AMD_THROTTLE_REASONS, clocksEventReasonsOf } from './throttle.js'

export const amdsmiOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** a library name or path instead of libamd_smi.so from the loader path or /opt/rocm/lib */
    library: z.string().min(1).optional(),
  }),
)
export type AmdSmiOptions = z.infer<typeof amdsmiOptionsSchema>

/** the amdsmi.h whose signatures and layouts the bindings declare */
export const AMDSMI_API = 'AMD SMI 24.6.3 API (ROCm 6.2.2)'
const SLOW_READ_MS = 50

function whyUnavailable(e: unknown): string {
  if (e instanceof AmdSmiLoadError) return e.message
  if (e instanceof AmdSmiError && e.code === AMDSMI_STATUS.DRIVER_NOT_LOADED) return 'AMD SMI is installed but the amdgpu kernel driver is not loaded'
  return e instanceof Error ? e.message : String(e)
}

function counterError(smi: AmdSmi, d: AmdProcessor): string | null {
  try {
    smi.energyCount(d.handle)
    return null
  } catch (e) {
    if (e instanceof AmdSmiError && e.code === AMDSMI_STATUS.NOT_SUPPORTED) return e.codeName
    throw e
  }
}

/** The counter's update period from its own firmware timestamps: the median gap between updates. */
function counterPeriodMs(smi: AmdSmi, d: AmdProcessor, budgetMs = 600): number | null {
  const end = performance.now() + budgetMs
  let last = smi.energyCount(d.handle).timestampNs
  const gaps: number[] = []
  while (performance.now() < end && gaps.length < 6) {
    const ts = smi.energyCount(d.handle).timestampNs
    if (ts !== last) {
      if (ts > last) gaps.push(Number(ts - last) / 1e6)
      last = ts
    }
  }
  if (gaps.length < 2) return null
  gaps.sort((a, b) => a - b)
  return gaps[Math.floor(gaps.length / 2)]
}

export const amdsmiProbe: Probe<AmdSmiOptions> = {
  name: 'amdsmi',
  options: amdsmiOptionsSchema,

  async available(options) {
    let smi: AmdSmi | undefined
    try {
      smi = AmdSmi.open(options.library)
      const all = listProcessors(smi)
      if (all.length === 0) return { available: false, reason: 'AMD SMI loaded, but it sees no AMD GPU' }
      return { available: true, reason: `${all.length} AMD GPU${all.length > 1 ? 's' : ''}: ${[...new Set(all.map((p) => p.name))].join(', ')} (${smi.bindings.library}, ${AMDSMI_API})` }
    } catch (e) {
      return { available: false, reason: whyUnavailable(e) }
    } finally {
      smi?.shutdown()
    }
  },

  async inventory(options) {
    const smi = AmdSmi.open(options.library)
    try {
      const all = listProcessors(smi)
      const groups = await sharedCounterGroups(smi, all)
      return all.map((p) => {
        const mem = smi.memory(p.handle)
        let counter = 'works'
        try {
          smi.energyCount(p.handle)
        } catch (e) {
          counter = e instanceof AmdSmiError ? `not available (${e.codeName})` : String(e)
        }
        const shared = groups.find((g) => g.members.includes(p.index))
        return { index: p.index, uuid: p.uuid, rocr_uuid: rocrUuid(p), name: p.name, bdf: p.bdf, socket: p.socket, memory_mb: mem.total === null ? null : Math.round(mem.total / 1048576), energy_counter: counter, counter_shared_with: shared ? shared.members.filter((i) => i !== p.index) : [], ...(shared ? { counter_read_through: shared.carrier } : {}) }
      })
    } finally {
      smi.shutdown()
    }
  },

  async accelerators(options) {
    const smi = AmdSmi.open(options.library)
    try {
      // ROCR_VISIBLE_DEVICES takes ROCr's "GPU-<serial>" id; without a serial, the index
      return listProcessors(smi).map((p) => ({ uuid: p.uuid, index: p.index, name: p.name, vendor: 'amd' as const, visible_id: rocrUuid(p) ?? String(p.index) }))
    } finally {
      smi.shutdown()
    }
  },

  async temperatures(options, uuids) {
    const out = new Map<string, number>()
    const smi = AmdSmi.open(options.library)
    try {
      for (const p of listProcessors(smi)) {
        const t = uuids.includes(p.uuid) ? smi.temperatureC(p.handle) : null
        if (t !== null) out.set(p.uuid, t)
      }
    } finally {
      smi.shutdown()
    }
    return out
  },

  async open(options): Promise<ProbeSession> {
    const smi = AmdSmi.open(options.library)
    try {
      return await openSession(smi)
    } catch (e) {
      smi.shutdown()
      throw e
    }
  },
}

async function openSession(smi: AmdSmi): Promise<ProbeSession> {
  const all = listProcessors(smi)
  const { devices: visible, warnings: mapWarnings } = resolveVisibleAmdGpus(all, process.env)
  const warnings = [...mapWarnings]
  const groups = await sharedCounterGroups(smi, all)
  const state = visible.map((d) => {
    const shared = groups.find((g) => g.members.includes(d.index))
    const group = shared?.members ?? [d.index]
    // the processor whose counter and socket power the group reports: itself, or the die that carries
    // the package (which this experiment may not use: AMD SMI reads every processor all the same)
    const carrier = all.find((p) => p.index === (shared?.carrier ?? d.index))!
    const noCounter = counterError(smi, carrier)
    if (noCounter) warnings.push(`${d.name} (${d.uuid}) has no energy counter (${noCounter}): its energy integrates socket power, which misses short phases`)
    // the first visible die of a shared counter carries its energy; the others are inside it
    const owner = visible.find((v) => group.includes(v.index))!
    const first = noCounter ? null : smi.energyCount(carrier.handle)
    return {
      d, carrier, layout: shared?.layout ?? null, counter: !noCounter, group, ownerUuid: owner.uuid, isOwner: owner.index === d.index,
      acc: first ? new EnergyAccumulator(first.ticks, performance.now(), first.resolutionUj) : null,
      lastRead: -Infinity, readEvery: 0, lastJ: 0, integratedJ: 0, lastPower: null as null | { t: number; w: number }, powerSource: null as null | string,
    }
  })
  for (const s of state) {
    if (s.group.length < 2 || !s.isOwner) continue
    const names = s.group.map((i) => all[i].uuid)
    const unused = s.group.filter((i) => !visible.some((v) => v.index === i))
    if (s.layout === 'first-die') {
      const still = s.group.filter((i) => i !== s.carrier.index)
      warnings.push(`${s.d.name}: processor ${s.carrier.index} (${s.carrier.uuid}) reports its package's energy counter and power, and processor ${still.join(' and ')} (${still.map((i) => all[i].uuid).join(', ')}) 0 W with a counter that does not move (MI250 firmware): the package is read through processor ${s.carrier.index} and counted once, under ${s.d.uuid}; per-die energy is not available`)
    } else warnings.push(`${s.d.name}: processors ${s.group.join(' and ')} (${names.join(', ')}) report one energy counter, the package's: it is counted once, under ${s.d.uuid}; per-die energy is not available`)
    if (unused.length) warnings.push(`${s.d.name} (${s.d.uuid}): its package's counter also counts processor ${unused.join(', ')}, which this experiment does not use: anything running there is billed here; pin both dies of the package`)
  }
  const period = new Map(state.map((s) => [s.d.uuid, s.counter ? counterPeriodMs(smi, s.carrier) : null]))
  for (const s of state) s.readEvery = Math.min(period.get(s.d.uuid) ?? 0, 20)
  for (const s of state) if (s.counter && period.get(s.d.uuid) === null) warnings.push(`${s.d.name} (${s.d.uuid}): the energy counter's timestamp did not move twice in 600 ms at open: its update period is unknown, so short windows are not flagged and the cross-check is skipped`)
  const col = (d: VisibleAmdGpu, name: string) => `amdgpu${d.index}_${name}`
  const cols = state.map(({ d }) => ({
    power_w: col(d, 'power_w'), temp_c: col(d, 'temp_c'), sm_util_pct: col(d, 'gfx_util_pct'), mem_util_pct: col(d, 'umc_util_pct'),
    mem_used_mb: col(d, 'mem_used_mb'), sm_clock_mhz: col(d, 'gfx_clock_mhz'), mem_clock_mhz: col(d, 'mem_clock_mhz'), clocks_event_reasons: col(d, 'clocks_event_reasons'),
  }))
  // instant socket power where the metrics table has it (1.4+), else the firmware's average
  const powerW = (s: (typeof state)[number]): number | null => {
    const p = smi.powerInfo(s.carrier.handle)
    if (!p) return null
    s.powerSource ??= p.currentW !== null ? 'current_socket_power' : p.averageW !== null ? 'average_socket_power' : null
    return p.currentW ?? p.averageW
  }
  for (const s of state) powerW(s)
  const described = {
    library: smi.bindings.library,
    api: AMDSMI_API,
    gpus: state.map((s) => {
      const mem = smi.memory(s.d.handle)
      return {
        index: s.d.index, hip_index: s.d.hipIndex, uuid: s.d.uuid, rocr_uuid: rocrUuid(s.d), name: s.d.name, bdf: s.d.bdf, socket: s.d.socket,
        vram_total_mb: mem.total === null ? null : Math.round(mem.total / 1048576),
        temperature_c_at_start: smi.temperatureC(s.d.handle),
        energy_counter: s.counter,
        counter_resolution_uj: s.acc?.resolutionUj ?? null,
        counter_update_period_ms: period.get(s.d.uuid) ?? null,
        counter_shared_with: s.group.filter((i) => i !== s.d.index),
        // the processor whose counter and power this die's package is read through, when another's
        counter_read_through: s.carrier.index !== s.d.index ? s.carrier.index : null,
        power_reading: s.powerSource,
      }
    }),
  }
  let lastFullRead = -Infinity

  return {
    probe: 'amdsmi',
    method: 'counter',
    confidence: 'high',
    readEnergy(opts): EnergyDomainReading[] {
      const now = performance.now()
      const owners = new Map<string, number>()
      const out = state.map((s): EnergyDomainReading => {
        if (!s.counter) {
          const w = powerW(s)
          if (w !== null && s.lastPower) s.integratedJ += ((w + s.lastPower.w) / 2) * ((now - s.lastPower.t) / 1000)
          if (w !== null) s.lastPower = { t: now, w }
          return { domain: s.d.uuid, kind: 'gpu', energy_j: s.integratedJ, method: 'integrated_power' }
        }
        if (!s.isOwner) return { domain: s.d.uuid, kind: 'gpu', energy_j: 0, contained_in: s.ownerUuid }
        // a window's edges always read the counter: a cached value can be one update old
        if (opts?.fresh || now - s.lastRead >= s.readEvery) {
          s.lastRead = now
          s.lastJ = s.acc!.update(smi.energyCount(s.carrier.handle).ticks, now)
        }
        owners.set(s.d.uuid, s.lastJ)
        return { domain: s.d.uuid, kind: 'gpu', energy_j: s.lastJ }
      })
      // a die inside a shared counter shows the package's energy, never added to the totals
      for (const r of out) if (r.contained_in) r.energy_j = owners.get(r.contained_in) ?? 0
      return out
    },
    sample(opts) {
      const out: Record<string, number> = {}
      const now = performance.now()
      const full = opts?.full === true || now - lastFullRead >= SLOW_READ_MS
      if (full) lastFullRead = now
      for (let i = 0; i < state.length; i++) {
        const s = state[i]
        const c = cols[i]
        const w = powerW(s)
        if (w !== null) out[c.power_w] = w
        if (!full) continue
        const h = s.d.handle
        const t = smi.temperatureC(h)
        if (t !== null) out[c.temp_c] = t
        const a = smi.activity(h)
        if (a && Number.isFinite(a.gfx)) out[c.sm_util_pct] = a.gfx
        if (a && Number.isFinite(a.umc)) out[c.mem_util_pct] = a.umc
        const m = smi.memory(h)
        if (m.used !== null) out[c.mem_used_mb] = m.used / 1048576
        const gfx = smi.clockMhz(h, 'gfx')
        if (gfx !== null) out[c.sm_clock_mhz] = gfx
        const mem = smi.clockMhz(h, 'mem')
        if (mem !== null) out[c.mem_clock_mhz] = mem
        const th = smi.throttleStatus(h)
        if (th !== null) out[c.clocks_event_reasons] = clocksEventReasonsOf(th)
      }
      return out
    },
    describe: () => described,
    warnings() {
      const w = [...warnings]
      for (const s of state) {
        if (s.acc?.wraps) w.push(`${s.d.name} (${s.d.uuid}): the energy counter wrapped at 2^32 ticks ${s.acc.wraps} time(s) (a 32-bit firmware counter); each wrap was added back`)
        if (s.acc?.resets) w.push(`${s.d.name} (${s.d.uuid}): the energy counter restarted ${s.acc.resets} time(s) (driver reload?): energy before each restart was kept, but what was drawn between the last read and the restart is lost`)
        if (s.powerSource === 'average_socket_power') w.push(`${s.d.name} (${s.d.uuid}): the firmware reports no instant socket power (metrics table before 1.4): the power timeline and the cross-check use its averaged power, which lags the load`)
      }
      return w
    },
    devices(): ProbeDevice[] {
      return state.map((s, i) => ({
        domain: s.d.uuid, index: s.d.index, cuda_index: s.d.hipIndex, driver_index: s.d.index, uuid: s.d.uuid, name: s.d.name, is_mig: false, mig_profile: null,
        columns: cols[i],
        throttle_reasons: AMD_THROTTLE_REASONS,
        // a die inside another's counter has no window of its own to check
        counter_update_period_ms: s.isOwner ? (period.get(s.d.uuid) ?? null) : null,
      }))
    },
    busy(utilisationPct) {
      for (const { d } of state) {
        const a = smi.activity(d.handle)
        if (a && a.gfx > utilisationPct) return `${d.name} (${d.uuid}) is ${a.gfx}% busy (idle means under ${utilisationPct}%)`
      }
      return null
    },
    close() {
      smi.shutdown()
    },
  }
}
