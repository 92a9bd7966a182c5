/**
 * Energy error model v1: a 95% interval for every energy figure. Pure; nothing here reads a probe.
 *
 * Per energy domain (one GPU, one RAPL package or DRAM domain, the CPU estimate), independent error
 * terms, each described by its variance and fourth cumulant (uncertainty-shape.ts):
 *  - edge: a counter read returns the total at its last update, so each window edge lags the truth
 *    by L ~ U(0, P) (P = update period), losing power x L. The measured value is therefore
 *    truth - p1·L1 + p0·L0 (p0, p1: power in the period before each edge). Its mean, (p1 - p0)·P/2,
 *    is known when the edge powers are, and goes into `shift_j`; the rest is two centred uniforms
 *    of widths p1·P and p0·P. A window shorter than one period is bounded instead: |error| <= max(p)·P.
 *    A plain read is dated to the middle of the clock reads around it (EnergySnapshot.read_ms): its
 *    moment is anywhere in that span, one more centred uniform of power x span / 2 per edge.
 *  - edge_power: only when the edge powers are unknown: each is taken as anywhere in 0..2x the
 *    window mean, so the lag's mean cannot be corrected and becomes this term (unknownEdges).
 *  - resolution: each read is floored to the counter's unit r: a triangular error of half-range r.
 *  - accuracy: the vendor bound (stated by the probe: ProbeSession.errorModel) as a 95% bound on a per-device offset (W x
 *    duration) and/or gain (fraction x energy), normal, the same for the whole window.
 *  - sampling (integrated_power): a power change between two samples Δ apart, at an unknown moment,
 *    makes the trapezoid wrong by Δ·|Δp|·(u - 1/2), u ~ U(0, 1): one uniform per segment.
 *  - model_range (estimate): not a measurement, so no calibrated interval: the interval spans the
 *    model's own range, cores x idle..max W/core x duration, whatever the utilisation was.
 *  - baseline (adjusted energy): (the baseline mean power's standard error, Student-t inflated, plus
 *    the baseline's own accuracy and edges over its duration) x window duration. The sensor error at
 *    idle is drawn independently of the one under load: nothing documents how they correlate, and
 *    treating them as one offset that cancels would claim more than is known.
 * Domains add: energies and shifts sum, moments sum (accuracy offsets and counter clocks of
 * different devices independent), except sampling and edge_power, which follow the one workload on
 * every device and add as fully correlated. Tokens and request counts are exact, so J/token and per-request energy are
 * the interval divided by the count. Not covered: idle power drifting between baseline and window,
 * and sensors that average only part of each period (both need a reference meter to bound).
 *
 * The interval for the truth is [energy_j + shift_j - half_width_j, energy_j + shift_j + half_width_j].
 */
import { ASSUMED_BASELINE_RELATIVE_SE, UNMEASURED_COUNTER_PERIOD_MS, type SensorAccuracy } from './sensor-accuracy.js'
import { add, halfWidth95, normalFromBound, normalFromSd, scale, tQuantile975, uniformHalfRange, ZERO, Z95, type Moments } from './uncertainty-shape.js'

export const ERROR_MODEL_VERSION = 'v1' as const
export const TERM_NAMES = ['edge', 'edge_power', 'resolution', 'accuracy', 'sampling', 'model_range', 'baseline'] as const
export type TermName = (typeof TERM_NAMES)[number]

export interface EnergyInterval {
  model: typeof ERROR_MODEL_VERSION
  /** the figure as reported, unchanged */
  energy_j: number
  /** expected truth - figure: the counter edges' known lag (0 without edge powers) */
  shift_j: number
  /** 95%: the truth lies within shift_j ± half_width_j of the figure */
  half_width_j: number
  low_j: number
  high_j: number
  /** each term's own 95% half-width, joules (they combine by moments, not by adding these) */
  terms: Record<TermName, number>
  /** the moments behind each term, kept so that intervals can be combined and scaled */
  moments: Record<TermName, Moments>
  /** assumptions this interval rests on (fallbacks used), for the result's warnings */
  notes: string[]
}

interface WindowBase {
  /** the window's energy as llem reports it (counter difference, integral, or estimate), J */
  energy_j: number
  /** window length, s */
  duration_s: number
}

export interface CounterInput extends WindowBase {
  method: 'counter'
  accuracy: SensorAccuracy
  /** how often the counter changes, as the probe measured or states it (null: not measured) */
  update_period_ms: number | null
  /** assumed when update_period_ms is null (default UNMEASURED_COUNTER_PERIOD_MS) */
  fallback_period_ms?: number
  /** counter unit, J, as the probe states it */
  resolution_j: number
  /** power in the period before the start and the end edge, W (timeline power column); null: unknown */
  edge_power_w?: readonly [number, number] | null
  /** both edges read in step with the counter's update (aligned-edge.ts): no lag, only the update's
   *  detection and the instant-power bridge to the edge; then edge_power_w is not used */
  aligned_edges?: readonly [AlignedEdgeInfo, AlignedEdgeInfo] | null
  /** how long each edge's reads took (ms, EnergySnapshot.read_ms): a counter read not in step with
   *  its update is dated to the middle of that span, so its moment is known to ± half of it */
  edge_read_ms?: readonly [number, number] | null
}

export interface AlignedEdgeInfo {
  gap_ms: number
  poll_ms: number
  power_w: number
  power_spread_w: number
}

export interface IntegratedInput extends WindowBase {
  method: 'integrated_power'
  accuracy: SensorAccuracy
  /** the instant power samples the probe integrated, window edges included (t in ms) */
  samples: readonly { t_ms: number; power_w: number }[]
}

export interface EstimateInput extends WindowBase {
  method: 'estimate'
  /** cpu-estimate's describe(): cores, idle_watts_per_core, max_watts_per_core */
  model: { cores: number; idle_w_per_core: number; max_w_per_core: number }
}

export type DomainInput = CounterInput | IntegratedInput | EstimateInput

const emptyMoments = (): Record<TermName, Moments> => Object.fromEntries(TERM_NAMES.map((n) => [n, ZERO])) as Record<TermName, Moments>

/** Builds the interval from a figure, a shift and per-term moments. */
export function intervalFrom(energy: number, shift: number, moments: Record<TermName, Moments>, notes: string[]): EnergyInterval {
  const total = TERM_NAMES.reduce((acc, n) => add(acc, moments[n]), ZERO)
  const hw = halfWidth95(total)
  const terms = Object.fromEntries(TERM_NAMES.map((n) => [n, halfWidth95(moments[n])])) as Record<TermName, number>
  return { model: ERROR_MODEL_VERSION, energy_j: energy, shift_j: shift, half_width_j: hw, low_j: energy + shift - hw, high_j: energy + shift + hw, terms, moments, notes }
}

function accuracyMoments(acc: SensorAccuracy, energyJ: number, durationS: number): Moments {
  // offset and gain are separate vendor statements; when both are given they are independent
  return normalFromBound(Math.hypot(acc.absolute_w * durationS, acc.relative * energyJ))
}

/** Edge term and shift for a counter difference (see the header). Powers in W, period in s. */
export function counterEdge(p0: number, p1: number, periodS: number, durationS: number): { shift: number; moments: Moments } {
  const a = Math.max(0, p1) * periodS // what the end edge can miss
  const b = Math.max(0, p0) * periodS // what the start edge can add
  if (durationS < periodS) return { shift: 0, moments: uniformHalfRange(Math.max(a, b)) }
  const centred = add(uniformHalfRange(a / 2), uniformHalfRange(b / 2))
  return { shift: (a - b) / 2, moments: centred }
}

/**
 * One edge read in step with the counter: the update is seen within one poll, so its moment is known
 * to ±poll/2 (power x poll/2 of energy either way), and the gap from the update to the edge is bridged
 * with the counter's power between two updates next to it, wrong by at most how far the instant power
 * read across the gap disagreed with it plus 5% of it (the power drifting within one period): both
 * uniform bounds.
 */
export function alignedEdgeMoments(e: AlignedEdgeInfo): Moments {
  const p = Math.max(0, e.power_w)
  const detection = (p * e.poll_ms) / 2 / 1000
  const bridge = ((Math.max(0, e.power_spread_w) + 0.05 * p) * e.gap_ms) / 1000
  return add(uniformHalfRange(detection), uniformHalfRange(bridge))
}

/**
 * Edge terms when the edge powers are unknown (no power column): the lag's mean no longer cancels,
 * so each edge's power p is taken as uniform on 0..2x the window mean m, independent of its lag L.
 * Its loss p·L splits into p·P/2, whose difference between the edges is `power` (triangular,
 * variance m²P²/6), and p·(L - P/2), the centred `lag` (variance m²P²/9 per edge, fourth cumulant
 * (1/25 - 1/27)·m⁴P⁴ from E[p⁴]E[(L-P/2)⁴] - 3(E[p²]E[(L-P/2)²])²). The power part is shared by
 * every device on the same workload, so it is combined as correlated across domains.
 */
export function unknownEdges(meanW: number, periodS: number, durationS: number): { lag: Moments; power: Moments } {
  const mp = Math.max(0, meanW) * periodS
  if (durationS < periodS) return { lag: uniformHalfRange(2 * mp), power: ZERO }
  const lagOne = { variance: (mp * mp) / 9, cumulant4: (1 / 25 - 1 / 27) * mp ** 4 }
  return { lag: add(lagOne, lagOne), power: { variance: (mp * mp) / 6, cumulant4: -(mp ** 4) / 60 } }
}

/**
 * The moment of a plain edge read (not aligned with the counter): anywhere within the span of its
 * reads, dated to its middle, so the edge loses or gains up to power x span / 2 (a uniform per edge).
 * Microseconds normally; milliseconds when the reading thread was kept off its core.
 */
export function readTimingMoments(p0: number, p1: number, readMs: readonly [number, number]): Moments {
  const half = (p: number, ms: number) => uniformHalfRange((Math.max(0, p) * Math.max(0, ms)) / 2 / 1000)
  return add(half(p0, readMs[0]), half(p1, readMs[1]))
}

/** Error model of one domain's window energy. */
export function energyUncertainty(input: DomainInput): EnergyInterval {
  const m = emptyMoments()
  const notes: string[] = []
  const T = input.duration_s
  const E = input.energy_j
  let shift = 0
  if (input.method === 'counter') {
    let periodMs = input.update_period_ms
    if (periodMs === null || !(periodMs > 0)) {
      periodMs = input.fallback_period_ms ?? UNMEASURED_COUNTER_PERIOD_MS
      notes.push(`counter update period not measured: ${periodMs} ms assumed`)
    }
    const edges = input.edge_power_w ?? null
    if (input.aligned_edges) {
      m.edge = add(alignedEdgeMoments(input.aligned_edges[0]), alignedEdgeMoments(input.aligned_edges[1]))
    } else if (edges && edges.every(Number.isFinite)) {
      const edge = counterEdge(edges[0], edges[1], periodMs / 1000, T)
      shift = edge.shift
      m.edge = edge.moments
    } else {
      const unknown = unknownEdges(T > 0 ? E / T : 0, periodMs / 1000, T)
      m.edge = unknown.lag
      m.edge_power = unknown.power
      notes.push('power at the window edges unknown: each taken as anywhere in 0..2x the window mean, no lag correction')
    }
    if (!input.aligned_edges && input.edge_read_ms) {
      const [p0, p1] = edges && edges.every(Number.isFinite) ? edges : [T > 0 ? E / T : 0, T > 0 ? E / T : 0]
      m.edge = add(m.edge, readTimingMoments(p0, p1, input.edge_read_ms))
    }
    if (T < periodMs / 1000 && !input.aligned_edges) notes.push('window shorter than one counter update: the edge term is a bound over every phase')
    // each read floored to the unit: the difference is triangular on [-r, r]
    m.resolution = add(uniformHalfRange(input.resolution_j / 2), uniformHalfRange(input.resolution_j / 2))
    m.accuracy = accuracyMoments(input.accuracy, E, T)
  } else if (input.method === 'integrated_power') {
    const s = [...input.samples].sort((x, y) => x.t_ms - y.t_ms)
    let sampling = ZERO
    for (let i = 1; i < s.length; i++) {
      const w = ((s[i].t_ms - s[i - 1].t_ms) / 1000) * Math.abs(s[i].power_w - s[i - 1].power_w)
      sampling = add(sampling, uniformHalfRange(w / 2))
    }
    if (s.length < 2) notes.push('fewer than two power samples in the window: no sampling term can be computed')
    m.sampling = sampling
    m.accuracy = accuracyMoments(input.accuracy, E, T)
  } else {
    const { cores, idle_w_per_core, max_w_per_core } = input.model
    const floor = cores * idle_w_per_core * T
    const ceil = cores * max_w_per_core * T
    // a uniform whose 95% half-width is the farther end of the model's range
    m.model_range = uniformHalfRange(Math.max(E - floor, ceil - E, 0) / 0.95)
    notes.push('cpu-estimate: the interval is the model range (idle..max W per core), not a measured uncertainty')
  }
  return intervalFrom(E, shift, m, notes)
}

export interface BaselineInput {
  /** the domain's idle power: energy_breakdown.baseline_power_per_domain_w[`probe:domain`], W */
  power_w: number
  /** baseline_duration_sec */
  duration_s: number
  /** mean power of each equal block of the baseline (energy of the block / its length), W; null: not recorded */
  block_powers_w?: readonly number[] | null
  /** the domain's sensor accuracy (the same figure as for the window); null for an estimate */
  accuracy: SensorAccuracy | null
  /** counter update period, ms, for the baseline's own edges; null: no counter */
  update_period_ms?: number | null
}

/**
 * Standard error of a baseline's mean power from block means (batch means): splitting the baseline
 * into blocks longer than the counter period keeps counter quantisation and short-range correlation
 * out of the spread. Inflated by t(K-1)/1.96 so it can go into a normal term.
 */
export function baselineMeanSd(blocks: readonly number[]): number | null {
  const k = blocks.length
  if (k < 2) return null
  const mean = blocks.reduce((a, b) => a + b, 0) / k
  const sd = Math.sqrt(blocks.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1))
  return (sd / Math.sqrt(k)) * (tQuantile975(k - 1) / Z95)
}

/** adjusted = raw - baseline power x window duration, with the baseline's error added as a term. */
export function adjustedUncertainty(raw: EnergyInterval, baseline: BaselineInput, durationS: number): EnergyInterval {
  const notes = [...raw.notes]
  const B = baseline.power_w
  let meanSd = baseline.block_powers_w ? baselineMeanSd(baseline.block_powers_w) : null
  if (meanSd === null) {
    meanSd = ASSUMED_BASELINE_RELATIVE_SE * Math.abs(B)
    notes.push(`baseline spread not recorded: a standard error of ${ASSUMED_BASELINE_RELATIVE_SE * 100}% of its power assumed`)
  }
  let perWatt = normalFromSd(meanSd)
  if (baseline.accuracy) perWatt = add(perWatt, normalFromBound(Math.hypot(baseline.accuracy.absolute_w, baseline.accuracy.relative * B)))
  const period = baseline.update_period_ms
  if (period && baseline.duration_s > 0) {
    // the baseline's own counter edges, as joules over its duration, then per watt
    const q = (B * period) / 1000
    perWatt = add(perWatt, scale(add(uniformHalfRange(q / 2), uniformHalfRange(q / 2)), 1 / baseline.duration_s))
  }
  const moments = { ...raw.moments, baseline: add(raw.moments.baseline, scale(perWatt, durationS)) }
  return intervalFrom(raw.energy_j - B * durationS, raw.shift_j, moments, notes)
}

/**
 * Terms that move together across domains. Domains integrated from instant power are sampled at the
 * same timeline ticks and, on one workload, step at the same moments, so their sampling errors
 * share a sign; unknown edge powers are the same workload's edges on every device. Both add as
 * fully correlated (standard deviations add). Every other term is independent between devices
 * (own counter clock, own sensor).
 */
const CORRELATED: ReadonlySet<TermName> = new Set(['sampling', 'edge_power'])

function addCorrelated(a: Moments, b: Moments): Moments {
  const sd = Math.sqrt(a.variance) + Math.sqrt(b.variance)
  // a sum of scaled copies of one error: the fourth cumulant scales like sd⁴
  const k = Math.abs(a.cumulant4) ** 0.25 + Math.abs(b.cumulant4) ** 0.25
  return { variance: sd * sd, cumulant4: -(k ** 4) }
}

/** A total over domains: figures and shifts add, so do the moments of each term. */
export function combineIntervals(parts: readonly EnergyInterval[]): EnergyInterval {
  const m = emptyMoments()
  for (const p of parts) for (const n of TERM_NAMES) m[n] = CORRELATED.has(n) ? addCorrelated(m[n], p.moments[n]) : add(m[n], p.moments[n])
  const notes = [...new Set(parts.flatMap((p) => p.notes))]
  return intervalFrom(
    parts.reduce((a, p) => a + p.energy_j, 0),
    parts.reduce((a, p) => a + p.shift_j, 0),
    m,
    notes,
  )
}

/** The interval of factor x figure (factor exact): per token (1/tokens), per request, a share. */
export function scaleInterval(iv: EnergyInterval, factor: number): EnergyInterval {
  const m = Object.fromEntries(TERM_NAMES.map((n) => [n, scale(iv.moments[n], factor)])) as Record<TermName, Moments>
  return intervalFrom(iv.energy_j * factor, iv.shift_j * factor, m, iv.notes)
}

/** J per unit (tokens, requests): null without units. */
export function perUnit(iv: EnergyInterval, count: number): EnergyInterval | null {
  return count > 0 ? scaleInterval(iv, 1 / count) : null
}

/** half_width / |figure|: null for a zero figure. */
export function relativeHalfWidth(iv: EnergyInterval): number | null {
  return iv.energy_j !== 0 ? iv.half_width_j / Math.abs(iv.energy_j) : null
}

/**
 * Confidence of a domain's figure. A counter window holding fewer than 10 updates is 'low', never
 * 'high': its edge error is a large share of the energy. An unmeasured update period cannot show the
 * window held 10 updates, so 'medium'. integrated_power: `periodMs` is the sampling interval, 'medium'
 * with at least 10 samples. An estimate is 'low' whatever the window.
 */
export function confidenceFor(method: 'counter' | 'integrated_power' | 'estimate', windowSec: number, periodMs: number | null): 'high' | 'medium' | 'low' {
  if (method === 'estimate') return 'low'
  if (periodMs === null || !(periodMs > 0)) return 'medium'
  const updates = (windowSec * 1000) / periodMs
  if (updates < 10) return 'low'
  return method === 'counter' ? 'high' : 'medium'
}
