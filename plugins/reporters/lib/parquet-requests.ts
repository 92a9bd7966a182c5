/**
 * The parquet reporter's requests table: one row per measured request. A large run has 100,000 of
 * them, so no row object is built per request and no column is held whole: each column is computed
 * when the writer takes its row group's slice of it, from the results themselves, and dropped once
 * written. Only the ITL statistics, which need the flat ITL list split and sorted, are computed once
 * up front, into typed arrays.
 */
import type { ColumnSource } from 'hyparquet-writer'
import type { AggregatedResult, RawProcessResult, RequestRecord } from 'llem/plugin'
import { percentilesInPlace } from 'llem/plugin'
import { cell, dbl, i32, str, type Column } from './parquet-columns.js'

export interface RequestTableRow {
  run_id: string
  experiment_id: string
  process_index: number
  request: RequestRecord
  /** how many inter-token gaps are this request's own, where the stored flat list splits exactly; else null */
  itlCount: number | null
  /** median, p99 and max of those gaps, as summarise() computes them; null with no gap */
  itlMedian: number | null
  itlP99: number | null
  itlMax: number | null
}

export const requestColumns: Column<RequestTableRow>[] = [
  str('run_id', (r) => r.run_id),
  str('experiment_id', (r) => r.experiment_id),
  i32('process_index', (r) => r.process_index),
  i32('index', (r) => r.request.index),
  i32('prompt_id', (r) => r.request.prompt_id),
  { name: 'ok', type: 'BOOLEAN', get: (r) => r.request.ok },
  str('error', (r) => r.request.error),
  i32('input_tokens', (r) => r.request.input_tokens),
  i32('output_tokens', (r) => r.request.output_tokens),
  dbl('start_ms', (r) => r.request.start_ms),
  dbl('ttft_ms', (r) => r.request.ttft_ms),
  dbl('e2e_ms', (r) => r.request.e2e_ms),
  // the request's mean inter-token latency: (e2e - ttft) / (output tokens - 1)
  dbl('tpot_ms', (r) => r.request.tpot_ms),
  // from the streamed gaps themselves; null where they cannot be attributed to this request
  i32('itl_count', (r) => r.itlCount),
  dbl('itl_median_ms', (r) => r.itlMedian),
  dbl('itl_p99_ms', (r) => r.itlP99),
  dbl('itl_max_ms', (r) => r.itlMax),
  dbl('energy_j', (r) => r.request.energy_j),
]

/** One process's requests and the table row its first one is. */
interface Span {
  result: AggregatedResult
  process: RawProcessResult
  start: number
}

/** Per request: its gap count (-1: none attributable) and statistics (NaN: none). */
interface ItlTable {
  count: Int32Array
  median: Float64Array
  p99: Float64Array
  max: Float64Array
}

/**
 * The flat `itl_full_ms` list holds the successful requests' gaps back to back, in request order; it
 * is cut at each request's output_tokens - 1 only when the total matches (see splitItl in
 * request-rows.ts, whose rule this follows without copying each request's gaps into an array of its own).
 */
function fillItl(spans: readonly Span[], t: ItlTable): void {
  let scratch = new Float64Array(256)
  for (const { process: p, start } of spans) {
    const flat = p.inference_metrics?.latency_measurements.itl_full_ms
    let expected = 0
    for (const r of p.requests) if (r.ok) expected += Math.max(0, r.output_tokens - 1)
    const splits = !!flat && expected === flat.length
    let at = 0
    for (let k = 0; k < p.requests.length; k++) {
      const r = p.requests[k]
      const row = start + k
      const n = splits && r.ok ? Math.max(0, r.output_tokens - 1) : -1
      t.count[row] = n
      t.median[row] = t.p99[row] = t.max[row] = NaN
      if (n <= 0) continue
      if (n > scratch.length) scratch = new Float64Array(n * 2)
      let max = -Infinity
      for (let j = 0; j < n; j++) {
        const v = (scratch[j] = flat![at + j])
        if (v > max) max = v
      }
      at += n
      // the percentiles summarise() gives a request's gaps, by selection rather than a sort
      const [median, p99] = percentilesInPlace(scratch, n, [50, 99])
      t.median[row] = median
      t.p99[row] = p99
      t.max[row] = max
    }
  }
}

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v)

/**
 * The table's columns for hyparquet-writer. Their `data` is computed on demand: the writer reads a
 * column's data only through `length` and `slice(start, end)`, once per row group, column after
 * column (the DuckDB read-back in test/parquet-reporter.test.ts would catch a writer that does more).
 */
export function requestColumnData(results: readonly AggregatedResult[]): ColumnSource[] {
  const spans: Span[] = []
  let total = 0
  for (const result of results) {
    for (const process of result.process_results) {
      spans.push({ result, process, start: total })
      total += process.requests.length
    }
  }
  const itl: ItlTable = { count: new Int32Array(total), median: new Float64Array(total), p99: new Float64Array(total), max: new Float64Array(total) }
  fillItl(spans, itl)
  const slice = (column: Column<RequestTableRow>, from: number, to: number): unknown[] => {
    const end = Math.min(to, total)
    const out = new Array<unknown>(Math.max(0, end - from))
    const row: RequestTableRow = { run_id: '', experiment_id: '', process_index: 0, request: null as unknown as RequestRecord, itlCount: null, itlMedian: null, itlP99: null, itlMax: null }
    // the last span starting at or before `from`
    let s = 0
    for (let lo = 0, hi = spans.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1
      if (spans[mid].start <= from) {
        s = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    for (let i = from; i < end; s++) {
      const { result, process, start } = spans[s]
      row.run_id = result.run_id
      row.experiment_id = result.experiment_id
      row.process_index = process.process_index
      for (let k = i - start; k < process.requests.length && i < end; k++, i++) {
        row.request = process.requests[k]
        row.itlCount = itl.count[i] < 0 ? null : itl.count[i]
        row.itlMedian = orNull(itl.median[i])
        row.itlP99 = orNull(itl.p99[i])
        row.itlMax = orNull(itl.max[i])
        out[i - from] = cell(column.type, column.get(row))
      }
    }
    return out
  }
  return requestColumns.map((c) => ({ name: c.name, type: c.type, data: { length: total, slice: (from: number, to: number) => slice(c, from, to) } as unknown as ColumnSource['data'] }))
}
