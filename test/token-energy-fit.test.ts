/**
 * The prefill/decode energy fit on hand-built windows whose energy is known by construction: each
 * 250 ms slice draws idle x 0.25 s + a x its prompt tokens + b x its decode tokens, spread evenly over
 * the slice, and its requests' tokens arrive inside it.
 */
import { describe, expect, it } from 'vitest'
import type { RequestTiming } from '../core/measure/load-runner.js'
import type { EnergySnapshot } from '../core/measure/probe-set.js'
import { fitTokenEnergy } from '../core/measure/token-energy-fit.js'

const IDLE = 70
const A = 0.02
const B = 0.12
const SLICE = 250

/** a window of `n` slices; slice i prefills prefill(i) prompt tokens (one request whose first token
 *  arrives 10 ms in) and decodes decode(i) tokens of that request, one per chunk, inside the slice */
function window(n: number, prefill: (i: number) => number, decode: (i: number) => number, noise: (i: number) => number = () => 0, start = 0, span = n * SLICE) {
  const slice = span / n
  const requests: RequestTiming[] = []
  const sliceJ: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = start + i * slice + 10
    const d = decode(i)
    const chunkTimes = Array.from({ length: d + 1 }, (_, k) => t0 + (k * 200) / (d + 1))
    requests.push({ index: i, promptId: i, start: t0 - 5, end: chunkTimes[d] + 1, chunkTimes, chunkCounts: chunkTimes.map(() => 1), inputTokens: prefill(i), outputTokens: d + 1, ok: true, error: null })
    sliceJ.push(IDLE * (slice / 1000) + A * prefill(i) + B * d + noise(i))
  }
  // the cumulative counter read every 50 ms: linear inside each slice
  const timeline: EnergySnapshot[] = []
  let acc = 0
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 5; k++) timeline.push({ t: start + i * slice + (k * slice) / 5, domains: { 'nvml:gpu0': { kind: 'gpu', energy_j: acc + (sliceJ[i] * k) / 5, counted: true } } })
    acc += sliceJ[i]
  }
  timeline.push({ t: start + span, domains: { 'nvml:gpu0': { kind: 'gpu', energy_j: acc, counted: true } } })
  return { requests, timeline, windowStart: start, windowEnd: start + span, coarse: new Set<string>(), sampleIntervalMs: 50, counterPeriodMs: 0, energyMethod: 'counter' }
}

const p = (i: number) => 100 + 80 * (i % 5)
const d = (i: number) => 50 + 30 * ((i * 3) % 7)

describe('energy per prefill and per decode token', () => {
  it('recovers both costs exactly from noiseless slices, with idle from the baseline', () => {
    const f = fitTokenEnergy({ ...window(40, p, d), idleW: IDLE })
    expect(f.fit.reason_if_null).toBeNull()
    expect(f.energy_per_prefill_token_j).toBeCloseTo(A, 9)
    expect(f.energy_per_decode_token_j).toBeCloseTo(B, 9)
    expect(f.idle_source).toBe('baseline')
    expect(f.fit.slices).toBe(40)
    expect(f.fit.slice_ms).toBe(250)
    expect(f.fit.prefill_tokens).toBe(Array.from({ length: 40 }, (_, i) => p(i)).reduce((a, b) => a + b))
    // the first output token is the prefill's: only the later ones are decode tokens
    expect(f.fit.decode_tokens).toBe(Array.from({ length: 40 }, (_, i) => d(i)).reduce((a, b) => a + b))
    expect(f.fit.r2).toBeCloseTo(1, 9)
  })

  it('the last slice ends at the window\'s own edge, where start + n x slice overshoots it by a rounding error', () => {
    // 0.3 + 13 x (3333.3 / 13) is 4.5e-13 ms past 0.3 + 3333.3, the timeline's last read
    const f = fitTokenEnergy({ ...window(13, p, d, () => 0, 0.3, 3333.3), idleW: IDLE })
    expect(f.fit.reason_if_null).toBeNull()
    expect(f.energy_per_decode_token_j).toBeCloseTo(B, 9)
  })

  it('fits idle power as a third coefficient when no baseline was measured', () => {
    const f = fitTokenEnergy({ ...window(40, p, d), idleW: null })
    expect(f.idle_source).toBe('fitted')
    expect(f.idle_power_w).toBeCloseTo(IDLE, 6)
    expect(f.energy_per_prefill_token_j).toBeCloseTo(A, 9)
    expect(f.energy_per_decode_token_j).toBeCloseTo(B, 9)
  })

  it('states 95% intervals that cover the costs when the slices carry noise', () => {
    // ±1 J of alternating noise per slice: the costs stay within their stated intervals
    const f = fitTokenEnergy({ ...window(40, p, d, (i) => (i % 2 ? 1 : -1) * (1 + (i % 3) * 0.5)), idleW: IDLE })
    expect(f.energy_per_prefill_token_uncertainty_j).toBeGreaterThan(0)
    expect(Math.abs(f.energy_per_prefill_token_j! - A)).toBeLessThanOrEqual(f.energy_per_prefill_token_uncertainty_j!)
    expect(Math.abs(f.energy_per_decode_token_j! - B)).toBeLessThanOrEqual(f.energy_per_decode_token_uncertainty_j!)
    expect(f.fit.r2).toBeLessThan(1)
  })

  it('one mix in every slice (decode tokens a fixed multiple of prompt tokens): null, with the reason', () => {
    const f = fitTokenEnergy({ ...window(40, p, (i) => p(i) / 2), idleW: IDLE })
    expect(f.energy_per_prefill_token_j).toBeNull()
    expect(f.energy_per_decode_token_j).toBeNull()
    expect(f.fit.collinearity).toBeCloseTo(1, 9)
    expect(f.fit.reason_if_null).toMatch(/moved together/)
  })

  it('decode tokens the same in every slice without a baseline: null, since they cannot be told from idle', () => {
    const f = fitTokenEnergy({ ...window(40, p, () => 60), idleW: null })
    expect(f.energy_per_decode_token_j).toBeNull()
    expect(f.fit.reason_if_null).toMatch(/decode tokens are the same in every slice/)
  })

  it('decode tokens nearly the same in every slice without a baseline: null, as they trade off against idle power', () => {
    // 60 or 61 decode tokens a slice: the pairwise correlation with prompt tokens is small, yet idle
    // power and the decode cost cannot be told apart from such data
    const f = fitTokenEnergy({ ...window(40, p, (i) => 60 + (i % 2)), idleW: null })
    expect(Math.abs(f.fit.collinearity!)).toBeLessThan(0.5)
    expect(f.energy_per_decode_token_j).toBeNull()
    expect(f.idle_power_w).toBeNull()
    expect(f.fit.reason_if_null).toMatch(/^decode tokens varied too little from slice to slice .*variance inflation \d+, above 10/)
  })

  it('too short a window: null, naming the slices it holds', () => {
    const f = fitTokenEnergy({ ...window(6, p, d), idleW: IDLE })
    expect(f.energy_per_prefill_token_j).toBeNull()
    expect(f.fit.reason_if_null).toMatch(/6 slices of 250 ms, fewer than 10/)
  })

  it('no energy measured: null', () => {
    const f = fitTokenEnergy({ ...window(40, p, d), idleW: IDLE, energyMethod: 'none' })
    expect(f.energy_per_decode_token_j).toBeNull()
    expect(f.fit.reason_if_null).toBe('no energy was measured')
  })
})
