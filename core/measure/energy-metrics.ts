/**
 * Energy of the measured window: totals per component (GPU, CPU, RAM, each by its own method), the
 * steady-state window, the headline window, the counter cross-check, throttling and device summaries.
 * Pure: runs after the window has closed.
 */
import type { Confidence, EnergyMethod, ProbeDevice, ProbeSession } from '../probes/types.js'
import type { RawProcessResult } from '../results/schema.js'
import { EXPERIMENT_DEFAULTS } from '../config/defaults.js'
import type { BaselineResult } from './baseline.js'
import { columnValues, crossCheckDevices, thermalInfo } from './device-method.js'
import { nodeEnergy } from './node-energy.js'
import { hostPowerRange } from './host-power-range.js'
import { maxOf, minOf } from '../stats/extent.js'
import { emissionsKg, type CarbonIntensity } from './emissions.js'
import type { LoadOutcome } from './load-runner.js'
import { energyBetween, interpolateCounterAware, moduleOverlapWarnings, type EnergySnapshot } from './probe-set.js'
import { outputTokensBetween, steadyStateWindow, type SteadyWindow } from './steady-state.js'
import type { TimelineRow } from './timeline.js'
import { adjustedUncertainty, confidenceFor, combineIntervals, perUnit, type EnergyInterval } from './uncertainty.js'
import { boundAroundFigure, domainSensors, windowUncertainty, type DomainSensor } from './window-uncertainty.js'

type Energy = NonNullable<RawProcessResult['energy_metrics']>
type Component = Energy['component_methods'][string]
export type MeasuredDevice = ProbeDevice & { probe: string }

/** Weakest first: a result is only as good as the weakest way any of its energy was obtained. */
export const METHOD_RANK: Record<EnergyMethod | 'none', number> = { none: 0, estimate: 1, integrated_power: 2, counter: 3 }
export const CONF_RANK: Record<Confidence | 'none', number> = { none: 0, low: 1, medium: 2, high: 3 }
const KIND_NAME: Record<string, string> = { gpu: 'gpu', cpu: 'cpu', dram: 'ram', module: 'module' }

export function componentMethods(sessions: ProbeSession[]): Record<string, Component> {
  const out: Record<string, Component> = {}
  for (const s of sessions) {
    const readings = s.readEnergy()
    // a domain inside a module (a Jetson's GPU rail) still makes its component, by its own method
    const modules = new Set(readings.filter((d) => d.kind === 'module').map((d) => d.domain))
    for (const d of readings) {
      const kind = KIND_NAME[d.kind]
      if (!kind || (d.contained_in && !modules.has(d.contained_in))) continue
      const method = d.method ?? s.method
      const confidence: Confidence = method === s.method ? s.confidence : method === 'integrated_power' ? 'medium' : s.confidence
      const prev = out[kind]
      // a component measured by several domains is only as good as its weakest one
      if (!prev || METHOD_RANK[method] < METHOD_RANK[prev.method]) out[kind] = { probe: s.probe, method, confidence }
    }
  }
  return out
}

export function weakest(components: Record<string, Component>): { method: Energy['method']; confidence: Energy['confidence'] } {
  const list = Object.values(components)
  if (list.length === 0) return { method: 'none', confidence: 'none' }
  const m = list.reduce((a, b) => (METHOD_RANK[b.method] < METHOD_RANK[a.method] ? b : a)).method
  const c = list.reduce((a, b) => (CONF_RANK[b.confidence] < CONF_RANK[a.confidence] ? b : a)).confidence
  return { method: m, confidence: c }
}

export interface EnergyInput {
  outcome: LoadOutcome
  energyStart: EnergySnapshot
  energyEnd: EnergySnapshot
  timeline: EnergySnapshot[]
  rows: TimelineRow[]
  sessions: ProbeSession[]
  devices: MeasuredDevice[]
  baseline: BaselineResult
  carbon: CarbonIntensity
  concurrency: number
  outputTokens: number
  okRequests: number
  headline: { mode: 'auto' | 'total' | 'steady_state'; minSeconds: number }
  /** the least time-weighted share of the steady-state window the target concurrency must be held
   *  (0..1); measurement.steadyStateMinTargetShare's default when not given */
  steadyMinTargetShare?: number
  agreementPct: number
}

/**
 * The measured window is the interval between the two energy reads that bound it (the timeline's first
 * and closing reads): energy, power, duration and throughput all use it, so joules are never divided by
 * a different stretch of time than the one they were drawn in. The load runs inside it.
 */
export function energyWindow(input: Pick<EnergyInput, 'outcome' | 'energyStart' | 'energyEnd'>): LoadOutcome {
  return { ...input.outcome, windowStart: input.energyStart.t, windowEnd: input.energyEnd.t }
}

export function buildEnergy(input: EnergyInput) {
  const outcome = energyWindow(input)
  const warnings: string[] = []
  const t0 = outcome.windowStart
  const t1 = outcome.windowEnd
  const durationSec = (t1 - t0) / 1000
  const components = componentMethods(input.sessions)
  const sensors = domainSensors(input.sessions, input.devices, input.rows)
  // a counter window of fewer than 10 updates is coarse: never 'high' (its edges are a large share)
  for (const sensor of sensors) lowerConfidence(components, sensor, durationSec)
  const { method, confidence } = weakest(components)
  const delta = energyBetween(input.energyStart, input.energyEnd)
  warnings.push(...moduleOverlapWarnings(input.energyEnd))
  for (const [key, why] of Object.entries(delta.invalid)) warnings.push(`${key}: ${why}: the window's energy cannot be had from it, and the figures it is part of are null`)
  const unc = windowUncertainty(sensors, delta, t0, t1, undefined, { start: input.energyStart, end: input.energyEnd })
  const measured = method !== 'none' && delta.total !== null
  const total = measured ? delta.total : null
  const perToken = (e: number | null, tokens: number) => (e !== null && tokens > 0 ? e / tokens : null)
  const power = (e: number | null) => (e !== null && durationSec > 0 ? e / durationSec : null)
  const adjusted = total !== null && input.baseline.power_w !== null ? total - input.baseline.power_w * durationSec : null
  const adjustedIv = adjusted !== null ? adjustedInterval(unc.perDomain, sensors, input.baseline, durationSec) : null
  if (adjusted !== null && adjusted < 0) warnings.push(`baseline-adjusted energy is negative (${adjusted.toFixed(3)} J): the idle baseline was higher than the load; the baseline is stale or the machine is busy`)

  // steady state: the load at its target concurrency
  const target = Math.min(input.concurrency, outcome.requests.length)
  const span = steadyStateWindow(outcome.requests, target)
  const minShare = input.steadyMinTargetShare ?? EXPERIMENT_DEFAULTS.measurement.steadyStateMinTargetShare
  // a span mostly spent below the target (an open loop that only touches its cap now and then) is not steady
  const ss: SteadyWindow | null = span && span.atTargetShare >= minShare ? span : null
  let steady: RawProcessResult['steady_state_window'] = null
  if (ss) {
    // counters that move once per period are dated where they moved, not where they were read
    const coarse = new Set(input.devices.filter((d) => (d.counter_update_period_ms ?? 0) >= 2).map((d) => `${d.probe}:${d.domain}`))
    const a = interpolateCounterAware(input.timeline, ss.start, coarse)
    const b = interpolateCounterAware(input.timeline, ss.end, coarse)
    const e = measured && a && b ? energyBetween(a, b).total : null
    // counted as the total window counts them (usage spread over chunks), so both J/token agree in kind
    const tokens = outputTokensBetween(outcome.requests, ss.start, ss.end)
    const ssIv = measured && a && b ? windowUncertainty(sensors, energyBetween(a, b), ss.start, ss.end, medianGap(input.timeline)).total : null
    steady = { start_sec: (ss.start - t0) / 1000, end_sec: (ss.end - t0) / 1000, duration_sec: (ss.end - ss.start) / 1000, energy_j: e, output_tokens: tokens, energy_per_token_j: perToken(e, tokens), target_concurrency: target, at_target_share: ss.atTargetShare,
      energy_uncertainty_j: e !== null ? boundAroundFigure(ssIv) : null, energy_per_token_uncertainty_j: e !== null && tokens > 0 ? boundAroundFigure(ssIv && perUnit(ssIv, tokens)) : null }
  } else if (span)
    warnings.push(`the load held ${target} requests in flight for only ${(span.atTargetShare * 100).toFixed(1)}% of the ${((span.end - span.start) / 1000).toFixed(1)} s from first reaching that to last leaving it (minimum ${(minShare * 100).toFixed(0)}%, measurement.steadyStateMinTargetShare): no steady-state window`)
  else if (outcome.requests.length) warnings.push(`the load never held ${target} requests in flight: no steady-state window`)

  // the headline window
  let window: 'total' | 'steady_state' = 'total'
  let reason: string
  const mode = input.headline.mode
  if (mode === 'total') reason = 'configured: measurement.headlineWindow = total'
  else if (!steady) {
    reason = 'no steady-state window: total used'
    if (mode === 'steady_state') warnings.push('measurement.headlineWindow is steady_state but there is no steady-state window: headline numbers use the total window')
  } else if (mode === 'steady_state') {
    window = 'steady_state'
    reason = 'configured: measurement.headlineWindow = steady_state'
  } else if (steady.duration_sec >= input.headline.minSeconds) {
    window = 'steady_state'
    reason = `steady state lasted ${steady.duration_sec.toFixed(1)} s (>= ${input.headline.minSeconds} s)`
  } else {
    reason = `steady state lasted ${steady.duration_sec.toFixed(1)} s (< ${input.headline.minSeconds} s): total window used`
    if (measured) warnings.push(`steady state lasted only ${steady.duration_sec.toFixed(1)} s (< ${input.headline.minSeconds} s): headline J/token uses the total window, which includes ramp-up and drain; measure more requests for a steady-state figure`)
  }
  const headlinePerToken = window === 'steady_state' ? steady!.energy_per_token_j : perToken(total, input.outputTokens)
  const totalBound = measured ? boundAroundFigure(unc.total) : null
  const perTokenBound = totalBound !== null && input.outputTokens > 0 ? totalBound / input.outputTokens : null
  const headlineBound = window === 'steady_state' ? (steady!.energy_per_token_uncertainty_j ?? null) : perTokenBound
  // ML.ENERGY's rule: a request's energy is the steady-state J/token times its output tokens
  const requestRate = steady?.energy_per_token_j ?? perToken(total, input.outputTokens)

  // accelerators: counter vs integrated instant power, short windows, throttling, utilisation, memory
  const counterJ: Record<string, number> = {}
  for (const d of input.devices) {
    const v = delta.perDomain[`${d.probe}:${d.domain}`]
    if (v !== undefined) counterJ[d.domain] = v
  }
  const check = crossCheckDevices(input.devices, counterJ, input.rows, t0, t1, input.agreementPct)
  warnings.push(...check.warnings)
  for (const d of input.devices) {
    if (d.counter_update_period_ms !== null && t1 - t0 < 10 * d.counter_update_period_ms) {
      const integrated = check.checks.find((c) => c.domain === d.domain)?.integrated_j
      warnings.push(`${d.name} (${d.uuid}): the window (${durationSec.toFixed(3)} s) is shorter than 10 energy-counter updates (period ${d.counter_update_period_ms.toFixed(0)} ms): counter energy is coarse${integrated !== undefined ? `; integrated instant power gives ${integrated.toFixed(3)} J` : ''}`)
    }
  }
  const thermal = thermalInfo(input.devices, input.rows, t0, t1)
  for (const d of thermal?.devices ?? []) {
    if (d.reasons.length) warnings.push(`GPU ${d.uuid} was throttled: ${d.reasons.map((r) => `${r.reason} for ${r.duration_sec.toFixed(2)} s`).join(', ')}`)
    if (d.max_temperature_c !== null) {
      const temps = columnValues(input.rows, input.devices.find((x) => x.domain === d.domain)?.columns.temp_c, t0, t1)
      const [lo, hi] = [minOf(temps), maxOf(temps)]
      const drift = hi - lo
      if (drift > 10) warnings.push(`GPU ${d.uuid} temperature drifted ${drift.toFixed(0)} C during the window (${lo}-${hi} C): power depends on temperature; consider a cool-down between experiments`)
    }
  }
  const util = input.devices.flatMap((d) => columnValues(input.rows, d.columns.sm_util_pct, t0, t1))
  // the share of each sample period the device's memory was read or written (NVML's memory
  // utilisation, AMD SMI's UMC activity): the drivers' proxy for memory bandwidth use
  const memUtil = input.devices.flatMap((d) => columnValues(input.rows, d.columns.mem_util_pct, t0, t1))
  const memUsed = input.devices.flatMap((d) => columnValues(input.rows, d.columns.mem_used_mb, t0, t1))

  // the whole node (a BMC) beside the components' sum, never added to it
  const node = nodeEnergy(input.sessions, input.energyStart, input.energyEnd, total)
  warnings.push(...node.warnings)

  const energy: Energy = {
    total_energy_j: total,
    gpu_energy_j: measured ? delta.gpu : null,
    cpu_energy_j: measured ? delta.cpu : null,
    ram_energy_j: measured ? delta.dram : null,
    gpu_power_w: measured ? power(delta.gpu) : null,
    cpu_power_w: measured ? power(delta.cpu) : null,
    ram_power_w: measured ? power(delta.dram) : null,
    duration_sec: durationSec,
    emissions_kg_co2: total !== null ? emissionsKg(total, input.carbon.g_per_kwh) : null,
    energy_per_token_j: perToken(total, input.outputTokens),
    energy_per_request_j: total !== null && input.okRequests ? total / input.okRequests : null,
    method: measured ? method : 'none',
    confidence: measured ? confidence : 'none',
    probes: [...new Set(Object.values(components).map((c) => c.probe))],
    component_methods: components,
    carbon_intensity_g_per_kwh: input.carbon.g_per_kwh,
    carbon_intensity_source: input.carbon.source,
    total_energy_uncertainty_j: totalBound,
    gpu_energy_uncertainty_j: measured && delta.gpu !== null ? boundAroundFigure(unc.gpu) : null,
    cpu_energy_uncertainty_j: measured && delta.cpu !== null ? boundAroundFigure(unc.cpu) : null,
    ram_energy_uncertainty_j: measured && delta.dram !== null ? boundAroundFigure(unc.ram) : null,
    energy_per_token_uncertainty_j: perTokenBound,
    energy_per_request_uncertainty_j: totalBound !== null && input.okRequests ? totalBound / input.okRequests : null,
    uncertainty: measured && unc.total ? detail(unc.total) : null,
    node: node.node,
  }
  // how far the host meters' power moved: what a data-parallel union needs to bound its pro-rating
  if (measured && (delta.cpu !== null || delta.dram !== null)) {
    const range = hostPowerRange(input.timeline, t0, t1)
    if (delta.cpu !== null) energy.cpu_power_range_w = range.cpu
    if (delta.dram !== null) energy.ram_power_range_w = range.ram
  }
  if (measured) energy.total_domains = delta.totalKeys
  // a domain without an error model leaves the intervals null: say so (the model's own assumptions are in energy.uncertainty.notes)
  for (const m of sensors.filter((x) => x.missing && delta.perDomain[x.key] !== undefined)) if (measured) warnings.push(`energy uncertainty not reported: ${m.missing}`)
  return {
    warnings,
    energy,
    total,
    steady,
    ss,
    perDevice: measured ? delta.perDomain : {},
    perDeviceUncertainty: measured ? perDeviceBounds(unc.perDomain) : {},
    breakdown: {
      raw_j: total,
      adjusted_j: adjusted,
      baseline_power_w: input.baseline.power_w,
      baseline_method: input.baseline.method,
      baseline_cache_age_sec: input.baseline.cache_age_sec,
      baseline_duration_sec: input.baseline.duration_sec,
      baseline_samples: input.baseline.samples,
      baseline_power_per_domain_w: input.baseline.per_domain_w,
      ...(input.baseline.block_powers_per_domain_w && Object.keys(input.baseline.block_powers_per_domain_w).length ? { baseline_block_powers_per_domain_w: input.baseline.block_powers_per_domain_w } : {}),
      adjusted_uncertainty_j: boundAroundFigure(adjustedIv),
    } satisfies NonNullable<RawProcessResult['energy_breakdown']>,
    headline: { window, reason, energy_per_token_j: measured ? headlinePerToken : null, energy_per_token_uncertainty_j: measured && headlinePerToken !== null ? headlineBound : null },
    requestEnergy: (outputTokens: number) => (measured && requestRate !== null ? requestRate * outputTokens : null),
    validation: input.devices.length ? { threshold_pct: input.agreementPct, checks: check.checks } : null,
    thermal,
    gpuUtilSamples: util,
    gpuMemUtilSamples: memUtil,
    gpuMemoryPeakMb: memUsed.length ? maxOf(memUsed) : null,
  }
}

const COMPONENT_OF: Record<DomainSensor['kind'], string> = { gpu: 'gpu', cpu: 'cpu', dram: 'ram', module: 'module' }

/** A counter domain's window of fewer than 10 updates (or an unmeasured period) lowers its component's confidence. */
function lowerConfidence(components: Record<string, Component>, sensor: DomainSensor, windowSec: number): void {
  const c = components[COMPONENT_OF[sensor.kind]]
  if (!c || c.method !== 'counter' || sensor.missing) return
  const allowed = confidenceFor('counter', windowSec, sensor.update_period_ms)
  if (CONF_RANK[allowed] < CONF_RANK[c.confidence]) c.confidence = allowed
}

/** Median spacing of the timeline's energy snapshots, ms: how stale an interpolated edge can be. */
function medianGap(timeline: readonly EnergySnapshot[]): number | undefined {
  if (timeline.length < 2) return undefined
  const gaps = timeline.slice(1).map((x, i) => x.t - timeline[i].t).sort((a, b) => a - b)
  return gaps[Math.floor(gaps.length / 2)]
}

/**
 * adjusted = sum over domains of (raw - idle power x duration), each domain's baseline error from its
 * own block powers and sensor; null when a domain has no interval or no baseline power of its own (a
 * baseline cached by an older llem), since the total could then not be split the same way.
 */
function adjustedInterval(perDomain: Record<string, EnergyInterval | null>, sensors: DomainSensor[], baseline: EnergyInput['baseline'], durationSec: number): EnergyInterval | null {
  const parts: EnergyInterval[] = []
  for (const [key, raw] of Object.entries(perDomain)) {
    const power = baseline.per_domain_w[key]
    if (!raw || power === undefined || baseline.duration_sec === null) return null
    const sensor = sensors.find((x) => x.key === key)
    parts.push(adjustedUncertainty(raw, { power_w: power, duration_s: baseline.duration_sec, block_powers_w: baseline.block_powers_per_domain_w?.[key] ?? null, accuracy: sensor?.accuracy ?? null, update_period_ms: sensor?.update_period_ms ?? null }, durationSec))
  }
  return parts.length ? combineIntervals(parts) : null
}

/** each domain's 95% bound around its figure; domains without an error model are left out */
function perDeviceBounds(perDomain: Record<string, EnergyInterval | null>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, iv] of Object.entries(perDomain)) {
    const b = boundAroundFigure(iv)
    if (b !== null) out[k] = b
  }
  return out
}

function detail(iv: EnergyInterval): NonNullable<Energy['uncertainty']> {
  const terms = Object.fromEntries(Object.entries(iv.terms).filter(([, v]) => v > 0))
  return { model: iv.model, shift_j: iv.shift_j, half_width_j: iv.half_width_j, low_j: iv.low_j, high_j: iv.high_j, terms_j: terms, notes: iv.notes }
}
