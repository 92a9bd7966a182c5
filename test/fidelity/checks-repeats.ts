/**
 * Repeats of one configuration: each repeat's figures against the truth of its own window (checks.ts
 * on that repeat alone), then the repeats summary results.json states (mean and Student t 95%
 * interval of J/token, throughput and median TTFT) against the same summary of the true per-repeat
 * values. The scenario's power ramps, so the repeats really differ and the interval has a width.
 */
import { checkRow, checkRun, type Row } from './checks.js'
import type { ScenarioRun } from './scenario.js'
import { maxOf } from '../../core/stats/extent.js'

/** t(0.975, df) for df = 1..9, from a Student t table (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7.2) */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262]

const SUMMARISED: { key: string; metric: string; unit: string }[] = [
  { key: 'energy_per_token_j', metric: 'J/token (total)', unit: 'J/tok' },
  { key: 'output_tokens_per_second', metric: 'output tok/s', unit: 'tok/s' },
  { key: 'ttft_median_ms', metric: 'TTFT vs engine send: median', unit: 'ms' },
]

export function checkRepeats(run: ScenarioRun): Row[] {
  const name = run.scenario.name
  const perRepeat = run.all.map((agg, k) => {
    const raw = agg.process_results[0]
    const a: number = raw.measured_window.start_unix_ms
    const b: number = raw.measured_window.end_unix_ms
    // every repeat sends the same tagged prompts: keep the server's record of this repeat's window only
    const server = { ...run.server, requests: run.server.requests.filter((r) => r.receivedMs >= a - 1 && r.receivedMs <= b) }
    return checkRun({ ...run, raw, agg, server, scenario: { ...run.scenario, name: `${name}, repeat ${k + 1}` } })
  })
  const rows = perRepeat.flat()
  const summary = (run.report.repeats as Record<string, any>[]).find((r) => r.repeats === run.all.length)
  const n = perRepeat.length
  for (const { key, metric, unit } of SUMMARISED) {
    const own = perRepeat.map((rs) => rs.find((r) => r.metric === metric))
    if (own.some((r) => r === undefined)) continue
    const truths = own.map((r) => r!.truth)
    const mean = truths.reduce((s, x) => s + x, 0) / n
    const sd = Math.sqrt(truths.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1))
    const half = (T975[n - 2] * sd) / Math.sqrt(n)
    // each value may be off by its own tolerance d: the mean by d, the interval's half-width by
    // t * d / sqrt(n - 1) (the values move by at most d * sqrt(n) in the L2 norm), so each bound by both
    const d = maxOf(own.map((r) => r!.tolerance))
    const tolBound = d * (1 + T975[n - 2] / Math.sqrt(n - 1))
    const m = summary?.metrics?.[key] ?? null
    rows.push(checkRow(name, `repeats (${n}): ${metric} mean`, unit, mean, m?.mean, { abs: d }))
    rows.push(checkRow(name, `repeats (${n}): ${metric} 95% CI lower`, unit, mean - half, m?.ci_lower, { abs: tolBound }))
    rows.push(checkRow(name, `repeats (${n}): ${metric} 95% CI upper`, unit, mean + half, m?.ci_upper, { abs: tolBound }))
  }
  return rows
}
