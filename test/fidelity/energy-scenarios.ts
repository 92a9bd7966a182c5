/**
 * Randomised measurement scenarios for the energy error model's calibration. Each scenario draws a
 * request-driven load (concurrency, request length, utilisation, steps or ramps, opening idle or
 * busy), a window from 0.2 s to 120 s, GPUs (NVML counter or, before Volta, integrated instant
 * power) and RAPL packages with DRAM, each with its sensor error drawn from the bound the model
 * assumes (plugins/probes/nvml/accuracy.ts, plugins/probes/rapl-accuracy.ts), and often an idle baseline with noisy idle power. It measures each
 * figure the way llem does (counter difference, trapezoid of samples, raw - baseline x duration),
 * asks the model for its interval, and records whether the interval holds the exact truth.
 */
import type { SensorAccuracy } from '../../core/measure/sensor-accuracy.js'
import { NVML_COUNTER, NVML_COUNTER_ACCURACY, NVML_INSTANT_ACCURACY } from '../../plugins/probes/nvml/accuracy.js'
import { RAPL_COUNTER, RAPL_DRAM_ACCURACY, RAPL_PACKAGE_ACCURACY } from '../../plugins/probes/rapl-accuracy.js'
import { Z95 } from '../../core/measure/uncertainty-shape.js'
import { adjustedUncertainty, combineIntervals, energyUncertainty, perUnit, type EnergyInterval } from '../../core/measure/uncertainty.js'
import { counterReads, integratedWindow, sampleTimes, loadTrace, makeRng, normal, pick, sensorEnergy, sensorPower, Trace, trueEnergy, uniform, type SimDevice } from './simulated-counter.js'

export type Kind = 'nvml-counter' | 'nvml-integrated' | 'rapl-package' | 'rapl-dram'
export type Figure = 'domain' | 'adjusted' | 'total' | 'adjusted-total' | 'per-token' | 'per-request'

export interface Outcome {
  /** index of the scenario the figure belongs to */
  scenario: number
  figure: Figure
  /** the domain's sensor; 'total' for sums over domains */
  kind: Kind | 'total'
  windowS: number
  /** a counter domain whose window held fewer than 10 updates */
  fewUpdates: boolean
  covered: boolean
  /** half-width / |truth| */
  relHalfWidth: number
  /** what the model was told about the counter edges' power */
  edgeMode: EdgeMode
  /** the scenario's machine: GPU sensor x count, RAPL domains */
  machine: string
}

export type EdgeMode = 'lag' | 'instant' | 'none'

interface Domain {
  kind: Kind
  dev: SimDevice
  accuracy: SensorAccuracy
  periodS: number | null
  jitter: number
  resolutionJ: number
  /** integrated_power: the timeline's sampling interval */
  intervalS: number
}

const ACCURACY: Record<Kind, SensorAccuracy> = {
  'nvml-counter': NVML_COUNTER_ACCURACY,
  'nvml-integrated': NVML_INSTANT_ACCURACY,
  'rapl-package': RAPL_PACKAGE_ACCURACY,
  'rapl-dram': RAPL_DRAM_ACCURACY,
}

/** A sensor error drawn from the bound the model assumes: normal, its 95% bound at the vendor figure. */
function drawError(rng: () => number, acc: SensorAccuracy): { offsetW: number; gain: number } {
  return { offsetW: (normal(rng) * acc.absolute_w) / Z95, gain: (normal(rng) * acc.relative) / Z95 }
}

function makeDomain(rng: () => number, kind: Kind, load: Trace): Domain {
  const [idleW, maxW] =
    kind === 'rapl-package' ? [uniform(rng, 10, 60), uniform(rng, 80, 350)] : kind === 'rapl-dram' ? [uniform(rng, 2, 10), uniform(rng, 8, 40)] : [uniform(rng, 20, 100), uniform(rng, 150, 700)]
  const dev = { idleW, maxW, load, ...drawError(rng, ACCURACY[kind]) }
  const rapl = kind.startsWith('rapl')
  return {
    kind,
    dev,
    accuracy: ACCURACY[kind],
    periodS: kind === 'nvml-integrated' ? null : rapl ? RAPL_COUNTER.period_ms / 1000 : uniform(rng, 0.02, 0.1),
    jitter: 0.1,
    resolutionJ: rapl ? RAPL_COUNTER.resolution_j : NVML_COUNTER.resolution_j,
    intervalS: uniform(rng, 0.01, 0.2),
  }
}

/** Measured energy over [a, b] and the model's interval for it. */
function measure(rng: () => number, d: Domain, dev: SimDevice, a: number, b: number, edgeMode: EdgeMode, ticks: readonly number[]): EnergyInterval {
  const T = b - a
  if (d.periodS === null) {
    const w = integratedWindow(dev, ticks)
    return energyUncertainty({ method: 'integrated_power', energy_j: w.energy, duration_s: T, accuracy: d.accuracy, samples: w.samples })
  }
  const [c0, c1] = counterReads(rng, dev, [a, b], d.periodS, d.jitter, d.resolutionJ)
  const P = d.periodS
  // what llem can know about the edge powers: the sensor's mean over the last period, or one instant sample
  const edge: [number, number] | null =
    edgeMode === 'lag' ? [sensorEnergy(dev, a - P, a) / P, sensorEnergy(dev, b - P, b) / P] : edgeMode === 'instant' ? [sensorPower(dev, a), sensorPower(dev, b)] : null
  return energyUncertainty({ method: 'counter', energy_j: c1 - c0, duration_s: T, accuracy: d.accuracy, update_period_ms: P * 1000, resolution_j: d.resolutionJ, edge_power_w: edge })
}

/** Idle baseline over D s in K blocks, on its own sensor-error draw; returns the adjusted interval. */
function baseline(rng: () => number, d: Domain, D: number, raw: EnergyInterval, T: number): EnergyInterval {
  const sigma = uniform(rng, 0.01, 0.1)
  const knots = Math.ceil(D / 0.1) + 30
  const noise = new Trace(
    Array.from({ length: knots }, (_, k) => k * 0.1),
    Array.from({ length: knots }, () => sigma * normal(rng)),
  )
  // power = idle x (1 + noise): the idle level is the truth, the noise averages to zero
  const idle: SimDevice = { idleW: d.dev.idleW, maxW: 2 * d.dev.idleW, load: noise, ...drawError(rng, d.accuracy) }
  const K = 10
  const edges = Array.from({ length: K + 1 }, (_, k) => 1 + (k * D) / K)
  let blocks: number[]
  if (d.periodS === null) blocks = edges.slice(1).map((e, k) => integratedWindow(idle, sampleTimes(rng, edges[k], e, d.intervalS, 0.2)).energy / (D / K))
  else {
    const c = counterReads(rng, idle, edges, d.periodS, d.jitter, d.resolutionJ)
    blocks = c.slice(1).map((v, k) => (v - c[k]) / (D / K))
  }
  const B = blocks.reduce((x, y) => x + y, 0) / K
  return adjustedUncertainty(raw, { power_w: B, duration_s: D, block_powers_w: blocks, accuracy: d.accuracy, update_period_ms: d.periodS === null ? null : d.periodS * 1000 }, T)
}

type Context = Pick<Outcome, 'scenario' | 'windowS' | 'edgeMode' | 'machine'>

function check(out: Outcome[], ctx: Context, figure: Figure, kind: Outcome['kind'], iv: EnergyInterval, truth: number, fewUpdates = false) {
  const covered = Math.abs(truth - (iv.energy_j + iv.shift_j)) <= iv.half_width_j
  out.push({ ...ctx, figure, kind, fewUpdates, covered, relHalfWidth: iv.half_width_j / Math.abs(truth) })
}

export function runScenarios(seed: number, count: number): Outcome[] {
  const rng = makeRng(seed)
  const out: Outcome[] = []
  for (let s = 0; s < count; s++) {
    // a third of the windows short (0.2-1.5 s, where the counter edges matter), the rest log-uniform
    const T = rng() < 0.35 ? uniform(rng, 0.2, 1.5) : Math.exp(uniform(rng, Math.log(0.2), Math.log(120)))
    const t0 = 2
    const t1 = t0 + T
    const load = loadTrace(rng, {
      endS: t1 + 1,
      concurrency: pick(rng, [1, 2, 4, 8, 16, 32, 64]),
      meanRequestS: uniform(rng, 0.3, 6),
      utilisation: uniform(rng, 0.2, 1.2),
      rampS: rng() < 0.5 ? 0 : uniform(rng, 0.01, 0.5),
      idleUntil: rng() < 0.5 ? t0 : 0,
    })
    const gpuKind: Kind = rng() < 0.25 ? 'nvml-integrated' : 'nvml-counter'
    let gpus = pick(rng, [0, 1, 1, 2, 4])
    const packages = pick(rng, [0, 1, 1, 2])
    if (gpus + packages === 0) gpus = 1
    const domains: Domain[] = []
    for (let i = 0; i < gpus; i++) domains.push(makeDomain(rng, gpuKind, load))
    for (let i = 0; i < packages; i++) {
      domains.push(makeDomain(rng, 'rapl-package', load))
      if (rng() < 0.7) domains.push(makeDomain(rng, 'rapl-dram', load))
    }
    const edgeMode = pick(rng, ['lag', 'lag', 'instant', 'instant', 'none'] as const)
    const D = rng() < 0.7 ? uniform(rng, 10, 60) : null
    // every GPU is sampled at the same timeline ticks, so their sampling errors move together
    const ticks = sampleTimes(rng, t0, t1, uniform(rng, 0.01, 0.2), 0.2)
    const ctx: Context = { scenario: s, windowS: T, edgeMode, machine: `${gpus} x ${gpuKind}, ${packages} RAPL package(s)` }
    const raws: EnergyInterval[] = []
    const adjusted: EnergyInterval[] = []
    let truth = 0
    let truthAdj = 0
    for (const d of domains) {
      const raw = measure(rng, d, d.dev, t0, t1, edgeMode, ticks)
      const e = trueEnergy(d.dev, t0, t1)
      const few = d.periodS !== null && T < 10 * d.periodS
      check(out, ctx, 'domain', d.kind, raw, e, few)
      raws.push(raw)
      truth += e
      if (D !== null) {
        const adj = baseline(rng, d, D, raw, T)
        check(out, ctx, 'adjusted', d.kind, adj, e - d.dev.idleW * T, few)
        adjusted.push(adj)
        truthAdj += e - d.dev.idleW * T
      }
    }
    const total = combineIntervals(raws)
    check(out, ctx, 'total', 'total', total, truth)
    if (D !== null) check(out, ctx, 'adjusted-total', 'total', combineIntervals(adjusted), truthAdj)
    const tokens = 1 + Math.floor(rng() * 100000)
    check(out, ctx, 'per-token', 'total', perUnit(total, tokens)!, truth / tokens)
    const requests = 1 + Math.floor(rng() * 500)
    check(out, ctx, 'per-request', 'total', perUnit(total, requests)!, truth / requests)
  }
  return out
}

export const band = (windowS: number) => (windowS < 1 ? 'under 1 s' : windowS < 10 ? '1-10 s' : '10-120 s')

export function coverage(list: readonly Outcome[]): { n: number; coverage: number } {
  return { n: list.length, coverage: list.filter((o) => o.covered).length / Math.max(1, list.length) }
}
