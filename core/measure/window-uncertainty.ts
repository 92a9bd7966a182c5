/**
 * The error model (uncertainty.ts) applied to one measured window: which sensor each energy domain is,
 * and what the window says about it (counter update period, power at the two edges, the instant power
 * samples an integrated domain was built from). Domains add into components (gpu, cpu, ram) and the
 * total exactly as energyBetween adds the energies. A domain from a probe without an error model (a
 * user's plugin) leaves every interval it would enter null, with a note saying why: an interval that
 * silently left a term out would claim more than is known.
 */
import type { ProbeSession, SensorErrorModel } from '../probes/types.js'
import type { MeasuredDevice } from './energy-metrics.js'
import type { AlignedEdge, EnergyDelta, EnergySnapshot } from './probe-set.js'
import type { SensorAccuracy } from './sensor-accuracy.js'
import type { TimelineRow } from './timeline.js'
import { combineIntervals, energyUncertainty, type DomainInput, type EnergyInterval } from './uncertainty.js'

export interface DomainSensor {
  /** `${probe}:${domain}`, as the energy snapshots key it */
  key: string
  kind: 'gpu' | 'cpu' | 'dram' | 'module'
  /** how the error model sees this domain over [t0, t1] (ms, performance clock), null: no model for
   *  it. `edgePeriodMs`: how stale an edge reading can be when it is not a fresh counter read (a
   *  sub-window interpolated on the timeline), used in place of the update period when longer */
  input: (energyJ: number, t0: number, t1: number, edgePeriodMs?: number, aligned?: readonly [AlignedEdge, AlignedEdge] | null, readMs?: readonly [number, number] | null) => DomainInput | null
  /** what the model rests on for this domain, for the result */
  accuracy: SensorAccuracy | null
  /** counter update period used for the edges (ms), null for non-counters */
  update_period_ms: number | null
  /** why there is no model, when input() gives null */
  missing?: string
}

export interface WindowUncertainty {
  perDomain: Record<string, EnergyInterval | null>
  gpu: EnergyInterval | null
  cpu: EnergyInterval | null
  ram: EnergyInterval | null
  total: EnergyInterval | null
  notes: string[]
}

/** The power reading in force at time t: the last timeline sample at or before it (null: none). */
function powerAt(rows: readonly TimelineRow[], column: string | undefined, t: number): number | null {
  if (!column) return null
  let v: number | null = null
  for (const r of rows) {
    if (r.t > t) break
    const p = r.values[column]
    if (Number.isFinite(p)) v = p
  }
  return v
}

/**
 * The power over the counter update period before t: what an edge read at t loses (the counter holds
 * the total at its last update, up to one period earlier). The mean of the samples in (t - period, t],
 * else the reading in force at t. Not the reading at t alone: an LLM window ends as its last token
 * arrives, when the GPU has just gone idle, while the period the counter has not yet counted was busy.
 */
function powerBefore(rows: readonly TimelineRow[], column: string | undefined, t: number, periodMs: number | null): number | null {
  if (!column || periodMs === null || !(periodMs > 0)) return powerAt(rows, column, t)
  let sum = 0
  let n = 0
  for (const r of rows) {
    if (r.t > t) break
    const p = r.values[column]
    if (r.t > t - periodMs && Number.isFinite(p)) {
      sum += p
      n++
    }
  }
  return n > 0 ? sum / n : powerAt(rows, column, t)
}

function powerSamples(rows: readonly TimelineRow[], column: string | undefined, t0: number, t1: number): { t_ms: number; power_w: number }[] {
  if (!column) return []
  return rows.filter((r) => r.t >= t0 && r.t <= t1 && Number.isFinite(r.values[column])).map((r) => ({ t_ms: r.t, power_w: r.values[column] }))
}

/**
 * Each counted energy domain of the sessions, with the sensor facts the error model needs: what the
 * probe states of it (ProbeSession.errorModel), applied to this window's timeline. Core knows no
 * sensor by name; a probe without a model gets no interval, with a note saying so.
 */
export function domainSensors(sessions: ProbeSession[], devices: readonly MeasuredDevice[], rows: readonly TimelineRow[]): DomainSensor[] {
  const out: DomainSensor[] = []
  for (const s of sessions) {
    for (const d of s.readEnergy()) {
      if (d.contained_in || (d.kind !== 'gpu' && d.kind !== 'cpu' && d.kind !== 'dram' && d.kind !== 'module')) continue
      const key = `${s.probe}:${d.domain}`
      const kind = d.kind
      const device = devices.find((x) => x.probe === s.probe && x.domain === d.domain)
      // (no built-in probe states one for a module's power scope: no vendor documents its accuracy)
      const model = s.errorModel?.(d, device) ?? null
      if (model === null) {
        const why = kind === 'module' ? `no accuracy is documented for module power (probe ${s.probe})` : `(probe ${s.probe}, method ${d.method ?? s.method})`
        out.push({ key, kind, accuracy: null, update_period_ms: null, input: () => null, missing: `no error model for ${key}${kind === 'module' ? ': ' : ' '}${why}` })
        continue
      }
      out.push({ key, kind, ...sensorInput(model, device, rows) })
    }
  }
  return out
}

/** The error model's input for one domain over [t0, t1], from what its probe states. */
function sensorInput(model: SensorErrorModel, device: MeasuredDevice | undefined, rows: readonly TimelineRow[]): Pick<DomainSensor, 'input' | 'accuracy' | 'update_period_ms'> {
  if (model.method === 'estimate') return { accuracy: null, update_period_ms: null, input: (energy_j, t0, t1) => ({ method: 'estimate', energy_j, duration_s: (t1 - t0) / 1000, model: model.model }) }
  const column = device?.columns.power_w
  if (model.method === 'integrated_power') {
    const { accuracy } = model
    return { accuracy, update_period_ms: null, input: (energy_j, t0, t1) => ({ method: 'integrated_power', energy_j, duration_s: (t1 - t0) / 1000, accuracy, samples: powerSamples(rows, column, t0, t1) }) }
  }
  const { accuracy, resolution_j, fallback_period_ms } = model
  const period = model.update_period_ms
  const fromTimeline = model.edge_power_from_timeline
  return {
    accuracy,
    update_period_ms: period,
    input: (energy_j, t0, t1, edgePeriodMs, aligned, readMs) => {
      const base = { method: 'counter' as const, energy_j, duration_s: (t1 - t0) / 1000, accuracy, resolution_j, ...(fallback_period_ms !== undefined ? { fallback_period_ms } : {}), ...(readMs ? { edge_read_ms: readMs } : {}) }
      if (fromTimeline && aligned) return { ...base, update_period_ms: period, aligned_edges: aligned }
      const p0 = fromTimeline ? powerBefore(rows, column, t0, period) : null
      const p1 = fromTimeline ? powerBefore(rows, column, t1, period) : null
      const edges = p0 !== null && p1 !== null ? ([p0, p1] as const) : null
      // an edge read off the timeline (a sub-window) can be staler than the counter's own period
      const used = period !== null && edgePeriodMs !== undefined ? Math.max(period, edgePeriodMs) : period
      return { ...base, update_period_ms: used, edge_power_w: edges }
    },
  }
}

const COMPONENT: Record<DomainSensor['kind'], 'gpu' | 'cpu' | 'ram' | 'module'> = { gpu: 'gpu', cpu: 'cpu', dram: 'ram', module: 'module' }

/** Intervals for a window's energies, domain by domain and added up the way the energies are. */
export function windowUncertainty(sensors: readonly DomainSensor[], delta: EnergyDelta, t0: number, t1: number, edgePeriodMs?: number, edges?: { start: EnergySnapshot; end: EnergySnapshot }): WindowUncertainty {
  const perDomain: Record<string, EnergyInterval | null> = {}
  const notes: string[] = []
  const parts: Record<'gpu' | 'cpu' | 'ram' | 'module', (EnergyInterval | null)[]> = { gpu: [], cpu: [], ram: [], module: [] }
  for (const s of sensors) {
    const e = delta.perDomain[s.key]
    if (e === undefined) continue
    const a0 = edges?.start.domains[s.key]?.aligned
    const a1 = edges?.end.domains[s.key]?.aligned
    const r0 = edges?.start.read_ms
    const r1 = edges?.end.read_ms
    const input = s.input(e, t0, t1, edgePeriodMs, a0 && a1 ? [a0, a1] : null, r0 !== undefined && r1 !== undefined ? [r0, r1] : null)
    const iv = input ? energyUncertainty(input) : null
    if (!iv && s.missing) notes.push(s.missing)
    perDomain[s.key] = iv
    parts[COMPONENT[s.kind]].push(iv)
  }
  const sumOf = (list: (EnergyInterval | null)[]) => (list.length === 0 || list.some((x) => x === null) ? null : combineIntervals(list as EnergyInterval[]))
  const gpu = sumOf(parts.gpu)
  const cpu = sumOf(parts.cpu)
  const ram = sumOf(parts.ram)
  // a module holds its CPU and memory: the total is the modules and any GPUs outside them (energyBetween)
  const all = parts.module.length ? [...parts.module, ...parts.gpu] : [...parts.gpu, ...parts.cpu, ...parts.ram]
  const total = sumOf(all)
  for (const iv of Object.values(perDomain)) if (iv) notes.push(...iv.notes)
  return { perDomain, gpu, cpu, ram, total, notes: [...new Set(notes)] }
}

/**
 * The symmetric 95% bound around the figure as reported: the interval is centred on the figure plus
 * the counter edges' known lag (shift), so the half-width around the figure itself is |shift| + hw.
 */
export function boundAroundFigure(iv: EnergyInterval | null): number | null {
  return iv ? Math.abs(iv.shift_j) + iv.half_width_j : null
}
