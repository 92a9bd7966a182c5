/**
 * Whether the repeat statistics mean what they say, checked by simulation: repeats drawn from a known
 * normal distribution, so the true mean is known. A 95% interval must contain it in about 95% of
 * simulated runs whatever the repeat count, and `llem compare` must call pure noise (both runs from
 * the same distribution) "significant" in about 5% of comparisons. The old percentile bootstrap
 * covered 50/76/83/91% at 2/3/5/10 repeats, and its non-overlap test fired 31/10/5/2% of the time.
 */
import { describe, expect, it } from 'vitest'
import { compareMetric } from '../core/compare/compare.js'
import { summariseRepeats } from '../core/results/repeat-stats.js'
import type { AggregatedResult } from '../core/results/schema.js'
import { createRng, normal, type Rng } from '../core/workload/random.js'
import { completedResult } from './fixtures/results.js'

// true J/token 0.01 ± 0.0005 (5% run-to-run noise) and 50 ± 4 tok/s
const J_PER_TOKEN = 0.01
const J_SD = 0.0005
const TOK_S = 50
const TOK_S_SD = 4
// enough trials that the simulated rate is within ±0.7 points (one standard error 0.34) of the true one
const TRIALS = 4000

/** n repeats of one configuration, each a completed result with its own noisy energy and throughput */
function repeats(rng: Rng, n: number): AggregatedResult[] {
  return Array.from({ length: n }, (_, i) => ({
    ...completedResult,
    experiment_name: `${completedResult.experiment_name} #${i + 1}`,
    repeat_index: i + 1,
    total_energy_j: (J_PER_TOKEN + J_SD * normal(rng)) * completedResult.total_output_tokens!,
    output_tokens_per_second: TOK_S + TOK_S_SD * normal(rng),
    // latency is not what is checked here: leaving it out keeps the simulation quick
    latency_stats: null,
  }))
}

describe('repeat confidence intervals: coverage on normal data', () => {
  for (const n of [2, 3, 5, 10]) {
    it(`${n} repeats: the 95% interval contains the true mean in 93-97% of runs`, () => {
      // a generator per test, so a test's draws do not depend on which tests ran before it
      const rng = createRng(1000 + n)
      let energyHits = 0
      let throughputHits = 0
      for (let trial = 0; trial < TRIALS; trial++) {
        const [s] = summariseRepeats(repeats(rng, n))
        const e = s.metrics.energy_per_token_j!
        const o = s.metrics.output_tokens_per_second!
        if (e.ci_lower <= J_PER_TOKEN && J_PER_TOKEN <= e.ci_upper) energyHits++
        if (o.ci_lower <= TOK_S && TOK_S <= o.ci_upper) throughputHits++
      }
      expect(energyHits / TRIALS).toBeGreaterThanOrEqual(0.93)
      expect(energyHits / TRIALS).toBeLessThanOrEqual(0.97)
      expect(throughputHits / TRIALS).toBeGreaterThanOrEqual(0.93)
      expect(throughputHits / TRIALS).toBeLessThanOrEqual(0.97)
    })
  }

  it('says how the interval was made and over which energy window; compare says its test and p-value', () => {
    const rng = createRng(1)
    const [s] = summariseRepeats(repeats(rng, 3))
    expect(s.metrics.energy_per_token_j!.ci_method).toBe('student_t')
    expect(s.energy_per_token_window).toBe('total')
    const d = compareMetric('energy_per_token_j', repeats(rng, 3), repeats(rng, 3), null)
    expect([d.ci_method, d.significance_test]).toEqual(['student_t', 'welch_t'])
    expect(d.p_value).toBeGreaterThan(0)
    expect(d.significant).toBe(d.p_value! < 0.05)
  })
})

describe('llem compare: "significant" on pure noise', () => {
  // Welch's test holds its level only approximately at tiny n, and errs on the safe side: its size on
  // normal data is about 2.3, 3.4, 4.4 and 4.9% at 2, 3, 5 and 10 a side (200 000 simulated pairs each)
  const bands: Array<[number, number, number]> = [
    [2, 0.01, 0.065],
    [3, 0.02, 0.065],
    [5, 0.035, 0.065],
    [10, 0.035, 0.065],
  ]
  for (const [n, low, high] of bands) {
    it(`${n} vs ${n} repeats of the same distribution: significant in ${(low * 100).toFixed(1)}-${(high * 100).toFixed(1)}% of comparisons`, () => {
      const rng = createRng(2000 + n)
      let significant = 0
      for (let trial = 0; trial < TRIALS; trial++) {
        const d = compareMetric('energy_per_token_j', repeats(rng, n), repeats(rng, n), null)
        if (d.significant) significant++
      }
      expect(significant / TRIALS).toBeGreaterThanOrEqual(low)
      expect(significant / TRIALS).toBeLessThanOrEqual(high)
    })
  }

  it('a real change of 4 run-to-run standard deviations is significant with 5 repeats a side', () => {
    const rng = createRng(3000)
    let significant = 0
    for (let trial = 0; trial < 200; trial++) {
      const worse = repeats(rng, 5).map((r) => ({ ...r, total_energy_j: r.total_energy_j! + 4 * J_SD * r.total_output_tokens! }))
      const d = compareMetric('energy_per_token_j', repeats(rng, 5), worse, null)
      if (d.significant) significant++
    }
    // Welch's power at a 4 sd shift with 5 a side is about 0.97
    expect(significant / 200).toBeGreaterThan(0.85)
  })
})
