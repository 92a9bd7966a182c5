/**
 * The block a serving engineer reads first, after the results table: request counts, throughput,
 * TTFT/TPOT/ITL, goodput and J/token for one experiment, as titled `label  value` lines in the manner
 * of `vllm bench serve`'s result block. Every label carries its unit, and the energy unit is the one
 * chosen for the whole run's output, so two blocks never mix J and mJ.
 */
import type { AggregatedResult } from 'llem/plugin'
import { sanitiseLine, formatSig, joulesIn, type EnergyUnit, maxOf } from 'llem/plugin'

/** measured requests and the failed ones among them: the aggregated counts, else (older results) the processes' own */
export function requestCounts(r: AggregatedResult): { failed: number; total: number } | null {
  if (r.num_requests !== undefined && r.num_failed_requests !== undefined) return r.num_requests > 0 ? { failed: r.num_failed_requests, total: r.num_requests } : null
  const measured = r.process_results.map((p) => p.inference_metrics).filter((m) => m !== null)
  if (measured.length === 0) return null
  return { failed: measured.reduce((a, m) => a + m.num_failed_requests, 0), total: measured.reduce((a, m) => a + m.num_requests, 0) }
}

interface Slo {
  ttftMs?: number | null
  tpotMs?: number | null
  e2eMs?: number | null
}

/** the targets that are set, as "TTFT ≤ 200 ms, E2E ≤ 5000 ms"; null when none is */
function sloText(r: AggregatedResult): string | null {
  const slo = r.effective_config.slo as Slo | undefined
  const parts: string[] = []
  for (const [label, v] of [['TTFT', slo?.ttftMs], ['TPOT', slo?.tpotMs], ['E2E', slo?.e2eMs]] as const) if (typeof v === 'number') parts.push(`${label} ≤ ${v} ms`)
  return parts.length ? parts.join(', ') : null
}

/** which window the headline J/token comes from, and how long it was */
function windowText(r: AggregatedResult): string {
  const window = r.measurement_methodology?.headline_window
  if (window === 'steady_state') {
    const s = r.steady_state_window?.duration_sec
    return typeof s === 'number' ? `steady state, ${formatSig(s)} s` : 'steady state'
  }
  if (window === 'total') return `whole measured window, ${formatSig(r.total_inference_time_sec)} s`
  return 'not recorded in this result'
}

/**
 * The block's lines, uncoloured. Null for an experiment that measured no request (it failed before
 * its window, e.g. while loading): its error line already says everything there is.
 */
export function servingSummary(r: AggregatedResult, unit: EnergyUnit): string[] | null {
  const counts = requestCounts(r)
  if (!counts) return null
  const rows: [string, string][] = [
    ['successful requests', String(counts.total - counts.failed)],
    ['failed requests', String(counts.failed)],
  ]
  const title = `Serving summary: ${sanitiseLine(r.experiment_name)}`
  // as in the table: a failed or interrupted experiment's rates are not the experiment's
  if (r.status !== 'completed') {
    rows.push(['other figures', `not shown for an experiment that ${r.status === 'interrupted' ? 'was interrupted' : 'failed'}: see its result file`])
    return [`${title}, ${r.status}`, ...aligned(rows)]
  }
  rows.push(
    ['measured window (s)', formatSig(r.total_inference_time_sec)],
    ['request throughput (req/s)', formatSig(r.requests_per_second)],
    ['output token throughput (tok/s)', formatSig(r.output_tokens_per_second)],
    ['total token throughput (tok/s)', formatSig(r.avg_tokens_per_second)],
  )
  const slo = sloText(r)
  const rl = r.extended_metrics?.request_latency
  const goodput: [string, string][] = slo
    ? [
        ['SLO targets', slo],
        ['goodput (req/s)', formatSig(rl?.goodput_requests_per_second)],
        ['goodput share (%)', formatSig(typeof rl?.slo_attainment === 'number' ? rl.slo_attainment * 100 : null)],
      ]
    : [['goodput', 'no SLO set']]
  const energy = energyRows(r, unit)
  const labels = [...rows, ...goodput, ...energy].map(([l]) => l)
  const width = Math.max(LATENCY_LABEL.length, maxOf(labels.map((l) => l.length)))
  return [title, ...aligned(rows, width), ...latencyLines(r, width), ...aligned([...goodput, ...energy], width)]
}

const LATENCY_LABEL = 'latency (ms)'

/** J/token, or for an embeddings experiment (which generates no token) J per embedded input token
 *  and per request, from its embedding_metrics */
function energyRows(r: AggregatedResult, unit: EnergyUnit): [string, string][] {
  const how: [string, string][] = [
    ['energy window', windowText(r)],
    ['energy method', `${r.energy_method.replace('_', ' ')}, ${r.energy_confidence} confidence`],
  ]
  const em = r.embedding_metrics
  if (em) {
    const perToken = em.energy_per_input_token_j
    return [
      ['embedded tokens', String(em.input_tokens)],
      ['embedded token throughput (tok/s)', formatSig(em.input_tokens_per_second)],
      perToken === null ? ['energy per embedded token', `not measured, energy method ${r.energy_method}`] : [`energy (${unit.name}/embedded token)`, joulesIn(unit, perToken, em.energy_per_input_token_uncertainty_j)],
      ...(em.energy_per_request_j === null ? [] : [[`energy per request (${unit.name})`, joulesIn(unit, em.energy_per_request_j)] as [string, string]]),
      ...(perToken === null ? [] : how),
    ]
  }
  if (r.avg_energy_per_token_j === null) return [['energy per token', `not measured, energy method ${r.energy_method}`]]
  return [[`energy (${unit.name}/token)`, joulesIn(unit, r.avg_energy_per_token_j, r.avg_energy_per_token_uncertainty_j)], ...how]
}

function aligned(rows: [string, string][], width = maxOf(rows.map(([l]) => l.length))): string[] {
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)
}

/** TTFT, TPOT and ITL as a small table: one unit (ms) for all of it, stated once */
function latencyLines(r: AggregatedResult, width: number): string[] {
  const s = r.latency_stats
  const heads = ['mean', 'median', 'p99']
  const rows: [string, string[]][] = [
    ['TTFT', [s?.ttft_mean_ms, s?.ttft_median_ms, s?.ttft_p99_ms].map(formatSig)],
    ['TPOT', [s?.tpot_mean_ms, s?.tpot_median_ms, s?.tpot_p99_ms].map(formatSig)],
    ['ITL', [s?.itl_mean_ms, s?.itl_median_ms, s?.itl_p99_ms].map(formatSig)],
  ]
  const cols = heads.map((h, i) => Math.max(h.length, maxOf(rows.map(([, v]) => v[i].length))))
  const cells = (v: string[]) => v.map((c, i) => c.padStart(cols[i])).join('  ')
  return [`  ${LATENCY_LABEL.padEnd(width)}  ${cells(heads)}`, ...rows.map(([label, v]) => `    ${label.padEnd(width - 2)}  ${cells(v)}`)]
}
