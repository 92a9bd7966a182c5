/**
 * Energy per prefill token and per decode token, fitted from the measured window: the window is cut
 * into equal time slices; each slice's energy (from the probe timeline) is regressed on the prompt
 * tokens prefilled and the output tokens decoded in it, with idle power as the intercept:
 *
 *   E_slice = idle x dt + e_prefill x P_slice + e_decode x D_slice
 *
 * Idle power is the idle baseline when one was measured (then only the two per-token costs are
 * fitted), else a third coefficient. Dating: a request's prompt tokens are prefilled just before its
 * first token, so they count in the slice where the first token arrived; every later token counts where
 * it was generated (a chunk of k tokens spread over the gap before it, as the steady-state window counts
 * them). The first output token belongs to the prefill. Power that follows neither count (the batch's
 * occupancy, memory traffic of long contexts) is absorbed by whichever count it moves with.
 *
 * The two counts cannot be told apart when they move together (every slice the same mix): the fit is
 * then refused (null, with the reason) rather than reporting a split the data does not hold.
 */
import type { RawProcessResult } from '../results/schema.js'
import { invert, ols } from '../stats/least-squares.js'
import type { RequestTiming } from './load-runner.js'
import { energyBetween, interpolateCounterAware, type EnergySnapshot } from './probe-set.js'

export type TokenEnergy = NonNullable<RawProcessResult['prefill_decode_energy']>

/** fewer slices than this leave too few residual degrees of freedom for a meaningful interval */
export const MIN_SLICES = 10
/** |correlation| of the two counts (in the fit's own geometry) above which they cannot be separated:
 *  a variance inflation factor of 1 / (1 - 0.95²) ≈ 10, the usual collinearity limit */
export const MAX_COLLINEARITY = 0.95
/** the same limit on each count's variance inflation factor in the fit's own design (uncentred, so
 *  that a count nearly constant across slices, hence inseparable from a fitted idle power, counts) */
export const MAX_VIF = 1 / (1 - MAX_COLLINEARITY ** 2)
/** the shortest slice: long enough that a token's energy and its timestamp fall in the same slice
 *  nearly always (engine iterations are 10-100 ms) */
export const MIN_SLICE_MS = 250

export interface TokenFitInput {
  requests: RequestTiming[]
  timeline: EnergySnapshot[]
  /** timeline keys of counters that move once per update period (dated where they moved) */
  coarse: ReadonlySet<string>
  windowStart: number
  windowEnd: number
  sampleIntervalMs: number
  /** the coarsest energy counter's update period (ms), 0 when none */
  counterPeriodMs: number
  /** idle power from the baseline (W), null when none was measured */
  idleW: number | null
  /** whether any energy was measured at all, and how */
  energyMethod: string
}

/** The slice length: at least MIN_SLICE_MS, and 5 sampling intervals and 5 counter updates. */
export function sliceLengthMs(sampleIntervalMs: number, counterPeriodMs: number): number {
  return Math.max(MIN_SLICE_MS, 5 * sampleIntervalMs, 5 * counterPeriodMs)
}

/** Prompt tokens (at each request's first token) and decode tokens (after the first) per slice. */
export function tokensPerSlice(requests: RequestTiming[], start: number, sliceMs: number, n: number): { prefill: number[]; decode: number[] } {
  const prefill = new Array<number>(n).fill(0)
  const decode = new Array<number>(n).fill(0)
  const slot = (t: number) => {
    const i = Math.floor((t - start) / sliceMs)
    return i >= 0 && i < n ? i : -1
  }
  for (const r of requests) {
    const streamed = r.chunkCounts.reduce((a, b) => a + b, 0)
    if (r.chunkTimes.length === 0 || streamed === 0) continue
    const first = slot(r.chunkTimes[0])
    if (first >= 0) prefill[first] += r.inputTokens
    // the request's own count (server usage) spread over its chunks, as outputTokensBetween does
    let cumulative = 0
    let assigned = 0
    let index = 0
    for (let c = 0; c < r.chunkTimes.length; c++) {
      cumulative += r.chunkCounts[c]
      const upTo = Math.round((r.outputTokens * cumulative) / streamed)
      const k = upTo - assigned
      assigned = upTo
      const t = r.chunkTimes[c]
      const gap = c > 0 ? t - r.chunkTimes[c - 1] : 0
      for (let j = 1; j <= k; j++, index++) {
        if (index === 0) continue
        const i = slot(t - (gap * (k - j)) / k)
        if (i >= 0) decode[i]++
      }
    }
  }
  return { prefill, decode }
}

const nullFit = (reason: string, fit: Partial<TokenEnergy['fit']> = {}, idle: Pick<TokenEnergy, 'idle_power_w' | 'idle_source'> = { idle_power_w: null, idle_source: null }): TokenEnergy => ({
  energy_per_prefill_token_j: null, energy_per_prefill_token_uncertainty_j: null,
  energy_per_decode_token_j: null, energy_per_decode_token_uncertainty_j: null,
  ...idle,
  fit: { method: 'ols_time_slices', slices: 0, slice_ms: null, r2: null, collinearity: null, prefill_tokens: 0, decode_tokens: 0, ...fit, reason_if_null: reason },
})

/** correlation of a and b: centred when the fit has an intercept, about zero when it has none */
function collinearity(a: number[], b: number[], centred: boolean): number | null {
  const ma = centred ? a.reduce((s, v) => s + v, 0) / a.length : 0
  const mb = centred ? b.reduce((s, v) => s + v, 0) / b.length : 0
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb)
    aa += (a[i] - ma) ** 2
    bb += (b[i] - mb) ** 2
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null
}

/** each column's variance inflation factor with the columns scaled to unit length and not centred
 *  (Belsley's form): 1 / (1 - R²) of that column on the others, the constant column included */
function varianceInflation(rows: number[][]): number[] | null {
  const p = rows[0].length
  const norms = Array.from({ length: p }, (_, j) => Math.sqrt(rows.reduce((s, r) => s + r[j] ** 2, 0)))
  if (norms.some((v) => v === 0)) return null
  const m = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => rows.reduce((s, r) => s + (r[i] / norms[i]) * (r[j] / norms[j]), 0)))
  const inv = invert(m)
  return inv && inv.map((row, i) => row[i])
}

export function fitTokenEnergy(input: TokenFitInput): TokenEnergy {
  if (input.energyMethod === 'none') return nullFit('no energy was measured')
  const sliceMs0 = sliceLengthMs(input.sampleIntervalMs, input.counterPeriodMs)
  const span = input.windowEnd - input.windowStart
  const n = Math.floor(span / sliceMs0)
  const idle = { idle_power_w: input.idleW, idle_source: input.idleW !== null ? ('baseline' as const) : ('fitted' as const) }
  if (n < MIN_SLICES) return nullFit(`the window (${(span / 1000).toFixed(2)} s) holds ${n} slices of ${sliceMs0} ms, fewer than ${MIN_SLICES}: measure a longer window`, { slices: n, slice_ms: sliceMs0 }, idle)
  // equal slices covering the whole window
  const sliceMs = span / n
  const streamed = input.requests.filter((r) => r.chunkTimes.length > 0)
  if (streamed.length === 0) return nullFit('no request streamed its tokens: tokens cannot be dated within the window', { slices: n, slice_ms: sliceMs }, idle)
  const { prefill, decode } = tokensPerSlice(input.requests, input.windowStart, sliceMs, n)
  const counts = { slices: n, slice_ms: sliceMs, prefill_tokens: prefill.reduce((a, b) => a + b, 0), decode_tokens: decode.reduce((a, b) => a + b, 0) }
  const energies: number[] = []
  let prev = interpolateCounterAware(input.timeline, input.windowStart, input.coarse)
  for (let i = 1; i <= n; i++) {
    // the last edge is the window's own (i x sliceMs can overshoot it by a rounding error)
    const next = interpolateCounterAware(input.timeline, i === n ? input.windowEnd : input.windowStart + i * sliceMs, input.coarse)
    const e = prev && next ? energyBetween(prev, next).total : null
    if (e === null) return nullFit('the power timeline does not cover every slice of the window', counts, idle)
    energies.push(e)
    prev = next
  }
  const dtS = sliceMs / 1000
  const fittedIdle = input.idleW === null
  if (counts.prefill_tokens === 0 || counts.decode_tokens === 0) return nullFit(`the window holds no ${counts.prefill_tokens === 0 ? 'prefill' : 'decode'} tokens: nothing to fit its cost from`, counts, idle)
  const r = collinearity(prefill, decode, fittedIdle)
  const varies = (xs: number[]) => xs.some((v) => v !== xs[0])
  if (fittedIdle && (!varies(prefill) || !varies(decode)))
    return nullFit(`the ${!varies(prefill) ? 'prefill' : 'decode'} tokens are the same in every slice: without an idle baseline their cost cannot be told from idle power; measure a baseline (measurement.baseline)`, { ...counts, collinearity: r }, idle)
  if (r !== null && Math.abs(r) > MAX_COLLINEARITY)
    return nullFit(`prefill and decode tokens moved together (correlation ${r.toFixed(3)} across ${n} slices${fittedIdle ? '' : ', about zero'}): the workload kept one mix, so its energy cannot be split between them; vary the prompt lengths or the load (bursts) to separate them`, { ...counts, collinearity: r }, idle)
  const rows = prefill.map((p, i) => (fittedIdle ? [dtS, p, decode[i]] : [p, decode[i]]))
  const k = fittedIdle ? 1 : 0
  // the pairwise correlation misses a count that is nearly constant while idle is fitted: it then
  // trades off against the intercept. The uncentred variance inflation factors see both
  const vif = varianceInflation(rows)
  const worst = vif === null ? Infinity : Math.max(vif[k], vif[k + 1])
  if (worst > MAX_VIF) {
    const which = vif !== null && vif[k] > vif[k + 1] ? 'prefill' : 'decode'
    return nullFit(`${which} tokens varied too little from slice to slice to be told from idle power and from each other (variance inflation ${Number.isFinite(worst) ? worst.toFixed(0) : 'infinite'}, above ${MAX_VIF.toFixed(0)}): one mix throughout and no idle baseline; measure a baseline (measurement.baseline) or vary prompt lengths and the load (bursts)`, { ...counts, collinearity: r }, idle)
  }
  const y = energies.map((e) => (fittedIdle ? e : e - input.idleW! * dtS))
  const fit = ols(rows, y, { intercept: fittedIdle })
  if (!fit) return nullFit('the slices do not determine the fit (singular design)', { ...counts, collinearity: r }, idle)
  const [ep, ed] = [fit.coefficients[k], fit.coefficients[k + 1]]
  const [up, ud] = [fit.halfWidths95[k], fit.halfWidths95[k + 1]]
  const quality = { ...counts, collinearity: r, r2: fit.r2 }
  const out: TokenEnergy = {
    energy_per_prefill_token_j: ep, energy_per_prefill_token_uncertainty_j: up,
    energy_per_decode_token_j: ed, energy_per_decode_token_uncertainty_j: ud,
    idle_power_w: fittedIdle ? fit.coefficients[0] : input.idleW, idle_source: idle.idle_source,
    fit: { method: 'ols_time_slices', ...quality, reason_if_null: null },
  }
  // an interval wider than its figure: the data do not resolve that cost. With idle fitted this is the
  // usual sign of one mix throughout (decode tokens as steady as idle power, so the two trade off)
  const unresolved = [up > Math.abs(ep) ? `prefill ${ep.toPrecision(3)} ± ${up.toPrecision(2)} J` : '', ud > Math.abs(ed) ? `decode ${ed.toPrecision(3)} ± ${ud.toPrecision(2)} J` : ''].filter(Boolean)
  if (unresolved.length) {
    const why = fittedIdle
      ? 'the mix of prefill and decode tokens varied too little across the slices to tell them apart from each other and from idle power (no idle baseline); measure a baseline (measurement.baseline) or vary prompt lengths and the load (bursts)'
      : 'the window holds too few tokens of that kind, or its energy is too noisy at this slice length; measure a longer window or vary prompt lengths and the load (bursts)'
    // a fitted idle that traded off against the token costs is no idle power either
    return nullFit(`the fit does not resolve the per-token cost (${unresolved.join(', ')} per token, 95%): ${why}`, quality, fittedIdle ? { idle_power_w: null, idle_source: 'fitted' } : idle)
  }
  return out
}
