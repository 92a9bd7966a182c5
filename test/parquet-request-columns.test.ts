/**
 * The requests table's columns are computed slice by slice when the writer asks for them (see
 * plugins/reporters/lib/parquet-requests.ts). Whatever the slices, they must hold what one row per
 * request gave before: requestRows() and summarise() of each request's own gaps, cell by cell, for
 * processes whose gaps split exactly, ones whose do not, failed requests and one-token ones.
 */
import { describe, expect, it } from 'vitest'
import { requestColumnData, requestColumns } from '../plugins/reporters/lib/parquet-requests.js'
import { cell } from '../plugins/reporters/lib/parquet-columns.js'
import { requestRows } from '../plugins/reporters/lib/request-rows.js'
import { summarise } from '../core/stats/summary.js'
import type { AggregatedResult, RequestRecord } from '../core/results/schema.js'
import { syntheticRun } from './fixtures/format-results.js'

/** The table as rows of cells, built the way it was before: a row object per request. */
function expected(results: AggregatedResult[]): unknown[][] {
  const out: unknown[][] = []
  for (const r of results) {
    for (const { process, record, itlMs } of requestRows(r)) {
      const s = itlMs ? summarise(itlMs) : null
      const values: Record<string, unknown> = {
        run_id: r.run_id, experiment_id: r.experiment_id, process_index: process.process_index, index: record.index, prompt_id: record.prompt_id,
        ok: record.ok, error: record.error, input_tokens: record.input_tokens, output_tokens: record.output_tokens, start_ms: record.start_ms,
        ttft_ms: record.ttft_ms, e2e_ms: record.e2e_ms, tpot_ms: record.tpot_ms, itl_count: itlMs?.length, itl_median_ms: s?.median,
        itl_p99_ms: s?.p99, itl_max_ms: s?.max, energy_j: record.energy_j,
      }
      out.push(requestColumns.map((c) => cell(c.type, values[c.name])))
    }
  }
  return out
}

function mixedRun(): AggregatedResult[] {
  const run = syntheticRun(30, 47, 3)
  // a failed request and a one-token one in a process whose gaps still split (30 gaps each otherwise)
  const p0 = run[0].process_results[0]
  const reqs: RequestRecord[] = p0.requests.map((q, i) => (i === 3 ? { ...q, ok: false, error: 'boom', e2e_ms: null } : i === 5 ? { ...q, output_tokens: 1 } : q))
  const gaps = reqs.flatMap((q, i) => (q.ok ? Array.from({ length: Math.max(0, q.output_tokens - 1) }, (_, k) => 200 + ((i * 31 + k) % 17) * 1.37) : []))
  run[0].process_results[0] = { ...p0, requests: reqs, inference_metrics: { ...p0.inference_metrics!, latency_measurements: { ...p0.inference_metrics!.latency_measurements, itl_full_ms: gaps } } }
  // gaps that do not add up: no request has any of its own
  const p1 = run[1].process_results[0]
  run[1].process_results[0] = { ...p1, inference_metrics: { ...p1.inference_metrics!, latency_measurements: { ...p1.inference_metrics!.latency_measurements, itl_full_ms: [1, 2, 3] } } }
  // two processes in one experiment (data parallel), and one without inference metrics
  run[2] = { ...run[2], process_results: [run[2].process_results[0], { ...run[2].process_results[0], process_index: 1, inference_metrics: null }] }
  return run
}

describe('requests table columns', () => {
  it('hold, slice by slice, the cells one row object per request gave', () => {
    const results = mixedRun()
    const want = expected(results)
    const columns = requestColumnData(results)
    const total = want.length
    for (const cuts of [[0, total], [0, 1, 46, 47, 48, 500, total], [0, 1000, total + 5]]) {
      for (const [k, c] of columns.entries()) {
        const data = c.data as unknown as { length: number; slice(a: number, b: number): unknown[] }
        expect(data.length).toBe(total)
        const got: unknown[] = []
        for (let i = 0; i + 1 < cuts.length; i++) got.push(...data.slice(cuts[i], cuts[i + 1]))
        expect(got, c.name).toEqual(want.map((row) => row[k]))
      }
    }
  })
})
