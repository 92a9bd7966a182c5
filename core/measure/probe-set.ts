/**
 * Opening the configured probes for one experiment. What is unavailable is recorded with its reason,
 * never faked; a fallback probe (cpu-estimate) is opened only when no measuring probe covers CPU energy.
 */
import { performance } from 'node:perf_hooks'
import type { EnergyDomainReading, ProbeSession } from '../probes/types.js'
import type { ResolvedProbes } from '../config/defaults.js'
import { builtinProbes, FALLBACK_PROBES } from '../plugins/builtins.js'
import { loadProbe } from '../plugins/load-plugins.js'
import { isProbeError, ProbeError } from '../probes/probe-error.js'
import { isLlemError } from '../errors.js'

export interface OpenProbes {
  sessions: ProbeSession[]
  /** the config name each session was opened by (a built-in's name, a user module's path), in order */
  specs: string[]
  unavailable: Record<string, string>
  /** for unavailable probes whose reason an administrator can remove: the lines that remove it */
  fixes: Record<string, string[]>
}

/** `rootDir`: the project root, against which a probe given as a path or a package name resolves */
export async function openProbes(config: ResolvedProbes, log: (line: string) => void, rootDir: string = process.cwd()): Promise<OpenProbes> {
  const sessions: ProbeSession[] = []
  const specs: string[] = []
  const unavailable: Record<string, string> = {}
  const fixes: Record<string, string[]> = {}
  const enabled = Object.entries(config).filter(([, v]) => v !== false) as [string, Record<string, unknown>][]
  const ordered = [...enabled.filter(([n]) => !FALLBACK_PROBES.has(n)), ...enabled.filter(([n]) => FALLBACK_PROBES.has(n))]
  for (const [name, options] of ordered) {
    // a module domain holds its CPU (a Jetson's SoC, a Grace Hopper superchip): no estimate beside it
    if (FALLBACK_PROBES.has(name) && sessions.some((s) => s.readEnergy().some((d) => d.kind === 'cpu' || d.kind === 'module'))) {
      unavailable[name] = 'not needed: a measuring probe covers CPU energy'
      continue
    }
    try {
      // a built-in by name, or the user's own module (checked in the main process before anything ran)
      const probe = await loadProbe(name, rootDir)
      const availability = await probe.available(options)
      if (!availability.available) {
        unavailable[name] = availability.reason
        if (availability.fix?.length) fixes[name] = availability.fix
        continue
      }
      const session = await probe.open(options)
      // llem's own probes raise ProbeErrors themselves: only a plugin's session is wrapped
      sessions.push(Object.hasOwn(builtinProbes, name) ? session : ownErrors(session, probe.name))
      specs.push(name)
    } catch (e) {
      unavailable[name] = `failed to open: ${e instanceof Error ? e.message : String(e)}`
      log(`probe ${name} failed to open: ${String(e)}`)
    }
  }
  return { sessions, specs, unavailable, fixes }
}

/**
 * A session whose every method's failure is the probe's: a plugin's readEnergy throwing a plain Error
 * mid-window is PROBE_FAILED naming the probe, not the backend's failure (errorInfo blames the backend
 * for an unmarked error while requests run). llem's own errors and a vendor's ProbeError pass as they are.
 */
function ownErrors(session: ProbeSession, probe: string): ProbeSession {
  const mark = (e: unknown): unknown => (isProbeError(e) || isLlemError(e) ? e : new ProbeError(probe, `probe ${probe}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }))
  // one wrapper per method, made on first use: readEnergy is called every sample interval
  const wrapped = new Map<PropertyKey, { of: unknown; fn: unknown }>()
  return new Proxy(session, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      const made = wrapped.get(key)
      if (made?.of === value) return made.fn
      // close() failing costs no measurement: it is logged with the probe's name where it is called
      const fn =
        key === 'close'
          ? value.bind(target)
          : (...args: unknown[]) => {
              try {
                const out: unknown = value.apply(target, args)
                return out instanceof Promise ? out.catch((e: unknown) => Promise.reject(mark(e))) : out
              } catch (e) {
                throw mark(e)
              }
            }
      wrapped.set(key, { of: value, fn })
      return fn
    },
  })
}

/**
 * When a fallback probe stands in (the CPU estimate), the result says why the measuring probe could
 * not, and how to fix it where that is known (a root-only RAPL counter): a user otherwise never
 * learns that a measurement was one group membership away.
 */
export function fallbackWarnings(open: OpenProbes): string[] {
  const standIns = open.sessions.filter((s) => FALLBACK_PROBES.has(s.probe)).map((s) => s.probe)
  if (standIns.length === 0) return []
  return Object.entries(open.fixes).map(([name, fix]) => `${standIns.join(', ')} stands in for ${name}, which is unavailable: ${open.unavailable[name]}. To measure instead: ${fix.map((l) => l.trim()).join(' ')}`)
}

/** How a counter's value at a window edge was taken in step with its update (aligned-edge.ts). */
export interface AlignedEdge {
  /** between the counter's update and the edge, bridged with instant power (ms) */
  gap_ms: number
  /** the poll interval in which the update was seen: its moment is known to within half of it (ms) */
  poll_ms: number
  /** the power bridging the gap (W): the counter's own, between two consecutive updates */
  power_w: number
  /** how far the instant power read across the gap was from it (W): a check on the bridge */
  power_spread_w: number
}

export interface EnergySnapshot {
  /** when the reads were taken: the middle of [clock before the first read, clock after the last] */
  t: number
  /** how long the reads took (ms): a counter's value is the energy at some moment within t ± read_ms / 2 */
  read_ms?: number
  /** `${probe}:${domain}` -> cumulative joules; `aligned` when read in step with the counter's update;
   *  `inModule` for a domain inside a module domain of its probe (a component, never in the total) */
  domains: Record<string, { kind: EnergyDomainReading['kind']; energy_j: number; counted: boolean; aligned?: AlignedEdge; inModule?: boolean }>
}

/** Every session's energy at t; `fresh` for a read that bounds a window (no reading reused from a cache). */
export function snapshotEnergy(sessions: ProbeSession[], t: number, opts: { fresh?: boolean } = {}): EnergySnapshot {
  const domains: EnergySnapshot['domains'] = {}
  for (const s of sessions) {
    const readings = s.readEnergy(opts.fresh ? { fresh: true } : undefined)
    const modules = new Set(readings.filter((d) => d.kind === 'module').map((d) => d.domain))
    for (const d of readings) {
      const entry: EnergySnapshot['domains'][string] = { kind: d.kind, energy_j: d.energy_j, counted: !d.contained_in }
      if (d.contained_in !== undefined && modules.has(d.contained_in)) entry.inModule = true
      domains[`${s.probe}:${d.domain}`] = entry
    }
  }
  return { t, domains }
}

/**
 * Every session's energy, timed by the clock on both sides of the reads: a read kept off its core (the
 * scheduler, a slow driver call) makes the span long, and the snapshot says so instead of dating the
 * energy to a clock read taken before the wait (the error model counts read_ms: uncertainty.ts).
 */
export function readSnapshot(sessions: ProbeSession[], opts: { fresh?: boolean } = {}): EnergySnapshot {
  const before = performance.now()
  const snap = snapshotEnergy(sessions, before, opts)
  const after = performance.now()
  snap.t = (before + after) / 2
  snap.read_ms = after - before
  return snap
}

/**
 * The keys of the domains the total is made of. Without a module domain: every counted cpu, dram and
 * gpu domain. With one, the modules (they hold their CPU, GPU and memory) plus GPUs outside any module;
 * CPU and memory energy from other probes is then reported as a component but never added on top.
 */
export function totalledKeys(snapshot: EnergySnapshot): string[] {
  const counted = Object.entries(snapshot.domains).filter(([, d]) => d.counted)
  const hasModule = counted.some(([, d]) => d.kind === 'module')
  const kinds = hasModule ? new Set(['module', 'gpu']) : new Set(['cpu', 'dram', 'gpu'])
  return counted.filter(([, d]) => kinds.has(d.kind)).map(([k]) => k)
}

/** Counted CPU or memory domains of other probes beside a module domain: reported, not added (said so). */
export function moduleOverlapWarnings(snapshot: EnergySnapshot): string[] {
  const entries = Object.entries(snapshot.domains)
  const modules = entries.filter(([, d]) => d.counted && d.kind === 'module').map(([k]) => k)
  if (modules.length === 0) return []
  return entries
    .filter(([, d]) => d.counted && (d.kind === 'cpu' || d.kind === 'dram'))
    .map(([k, d]) => `${k} (${d.kind === 'dram' ? 'ram' : 'cpu'} energy) lies inside the module energy of ${modules.join(', ')}: it is reported as a component but not added to the total, which would count it twice`)
}

export interface EnergyDelta {
  perDomain: Record<string, number>
  cpu: number | null
  dram: number | null
  gpu: number | null
  /** module domains (whole CPU+GPU+memory modules); when present they make the total */
  module: number | null
  total: number | null
  /** the keys of perDomain that total adds up (totalledKeys) */
  totalKeys: string[]
  /** domains whose readings give no energy (not a number, or a cumulative reading that went down),
   *  with why: left out of perDomain, and their kind's figure and the total (if they count) are null */
  invalid: Record<string, string>
}

/**
 * Energy between two snapshots; totals add only domains not contained in another. Components (cpu,
 * dram, gpu) also take the domains inside a module (a Jetson's rails); the total follows
 * totalledKeys: the modules plus GPUs outside them where a module is measured, else cpu + dram + gpu.
 */
export function energyBetween(a: EnergySnapshot, b: EnergySnapshot): EnergyDelta {
  const perDomain: Record<string, number> = {}
  const byKind: Record<string, number | null> = { cpu: null, dram: null, gpu: null, module: null }
  const invalid: Record<string, string> = {}
  const poisoned = new Set<string>()
  for (const [key, end] of Object.entries(b.domains)) {
    const start = a.domains[key]
    if (!start) continue
    let delta = end.energy_j - start.energy_j
    // interpolated snapshots (sub-windows, the per-token fit) of a counter that did not move can differ
    // by a rounding error of either sign: that is no energy, not a counter going backwards
    if (delta < 0 && delta >= -1e-9 * Math.max(1, Math.abs(start.energy_j), Math.abs(end.energy_j))) delta = 0
    // a reading that is no number, or cumulative energy that went down (a counter reset or wrap the
    // probe did not handle): no energy can be had from it, and a sum over it would be wrong
    if (!Number.isFinite(delta) || delta < 0) {
      invalid[key] = Number.isFinite(delta) ? `its cumulative energy went down by ${(-delta).toPrecision(4)} J (${start.energy_j} -> ${end.energy_j} J)` : `its energy reading is not a number (${start.energy_j} -> ${end.energy_j} J)`
      if ((end.counted || end.inModule) && end.kind in byKind) poisoned.add(end.kind)
      continue
    }
    perDomain[key] = delta
    if ((end.counted || end.inModule) && end.kind in byKind) byKind[end.kind] = (byKind[end.kind] ?? 0) + delta
  }
  for (const kind of poisoned) byKind[kind] = null
  const totalled = totalledKeys(b)
  const keys = totalled.filter((k) => perDomain[k] !== undefined)
  const total = keys.length && !totalled.some((k) => k in invalid) ? keys.reduce((x, k) => x + perDomain[k], 0) : null
  return { perDomain, cpu: byKind.cpu, dram: byKind.dram, gpu: byKind.gpu, module: byKind.module, total, totalKeys: total === null ? [] : keys, invalid }
}

/** Cumulative energy at time t by linear interpolation on the timeline (for sub-windows). */
export function interpolateSnapshot(timeline: EnergySnapshot[], t: number): EnergySnapshot | null {
  if (timeline.length === 0 || t < timeline[0].t || t > timeline[timeline.length - 1].t) return null
  let i = 1
  while (i < timeline.length && timeline[i].t < t) i++
  if (i >= timeline.length) return timeline[timeline.length - 1]
  const a = timeline[i - 1]
  const b = timeline[i]
  const f = b.t === a.t ? 0 : (t - a.t) / (b.t - a.t)
  const domains: EnergySnapshot['domains'] = {}
  for (const [k, v] of Object.entries(b.domains)) {
    const av = a.domains[k]
    // an interpolated point is not a counter read: no `aligned` carried over
    if (av) domains[k] = { kind: v.kind, counted: v.counted, energy_j: av.energy_j + f * (v.energy_j - av.energy_j) }
  }
  return { t, domains }
}

/**
 * Cumulative energy at time t for sub-windows (the steady state), taking coarse counters for what
 * they are. A snapshot of a counter that moves once per update period holds the energy up to its
 * last move, not up to the snapshot: interpolating between snapshot times would date every value up
 * to a period late. For the `coarse` domains (counters with a measured period of a few ms or more)
 * the values are dated where they changed instead: a value first seen at snapshot i was reached
 * between snapshots i-1 and i, taken at their midpoint; the window's first and last snapshots are
 * exact (their edges are read in step with the counter). Other domains interpolate as before.
 */
export function interpolateCounterAware(timeline: EnergySnapshot[], t: number, coarse: ReadonlySet<string>): EnergySnapshot | null {
  const base = interpolateSnapshot(timeline, t)
  if (!base || coarse.size === 0) return base
  const n = timeline.length
  for (const key of coarse) {
    if (!base.domains[key] || !timeline[0].domains[key] || !timeline[n - 1].domains[key]) continue
    // change points (time, energy), the first and last snapshots included
    let prevT = timeline[0].t
    let prevE = timeline[0].domains[key].energy_j
    let lo = { t: prevT, e: prevE }
    let hi: { t: number; e: number } | null = null
    for (let i = 1; i < n && !hi; i++) {
      const s = timeline[i]
      const e = s.domains[key]?.energy_j
      if (e === undefined) continue
      const point = i === n - 1 ? { t: s.t, e } : e !== prevE ? { t: (prevT + s.t) / 2, e } : null
      prevT = s.t
      prevE = e
      if (!point) continue
      if (point.t < t) lo = point
      else hi = point
    }
    if (!hi) continue
    const f = hi.t === lo.t ? 0 : (t - lo.t) / (hi.t - lo.t)
    base.domains[key] = { ...base.domains[key], energy_j: lo.e + f * (hi.e - lo.e) }
  }
  return base
}
