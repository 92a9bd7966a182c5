/**
 * Two Parquet tables for pandas, polars and DuckDB: `experiments.parquet` (one row per experiment:
 * identity, the config keys that vary, every headline metric) and `requests.parquet` (one row per
 * measured request). Column names are the result's own field names wherever one exists, so a query
 * reads the same against the JSON and the table. Written with hyparquet-writer (pure JS, snappy).
 *
 * Types are declared per column, never guessed from the data: a column of integer-valued doubles
 * (a power of exactly 40 W) must stay DOUBLE, and an all-null column still needs a type.
 */
import path from 'node:path'
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer'
import type { Reporter, ReporterContext } from 'llem/plugin'
import { writeFileAtomic, latencyStatisticsSchema, SCHEMA_VERSION, type AggregatedResult, type RequestRecord, percentile } from 'llem/plugin'
import { requestRows } from './lib/request-rows.js'
import { varyingConfig, type ConfigValue } from './varying-config.js'

export type ColumnType = 'STRING' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP'

export interface Column<R> {
  name: string
  type: ColumnType
  get(row: R): unknown
}

const str = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'STRING', get })
const dbl = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'DOUBLE', get })
const i32 = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'INT32', get })
const i64 = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'INT64', get })

type Exp = AggregatedResult

/** sums a per-process count; null when no process measured anything (a failed experiment) */
function processSum(r: Exp, pick: (m: NonNullable<Exp['process_results'][number]['inference_metrics']>) => number): number | null {
  const metrics = r.process_results.flatMap((p) => (p.inference_metrics ? [p.inference_metrics] : []))
  return metrics.length ? metrics.reduce((s, m) => s + pick(m), 0) : null
}

const latencyColumns: Column<Exp>[] = Object.keys(latencyStatisticsSchema.shape).map((key) => {
  const get = (r: Exp) => r.latency_stats?.[key as keyof NonNullable<Exp['latency_stats']>] ?? null
  if (key === 'measurement_mode') return str('latency_mode', get)
  return key.endsWith('_samples') ? i64(key, get) : dbl(key, get)
})

/** Everything but the config columns, which depend on the run. */
export const experimentColumns: Column<Exp>[] = [
  str('run_id', (r) => r.run_id),
  str('experiment_id', (r) => r.experiment_id),
  str('experiment_name', (r) => r.experiment_name),
  str('task_hash', (r) => r.task_hash),
  str('bench_file', (r) => r.bench.file),
  str('bench_name', (r) => r.bench.name),
  str('bench_full_name', (r) => r.bench.full_name),
  i32('repeat_index', (r) => r.repeat_index),
  str('status', (r) => r.status),
  str('error_code', (r) => r.error?.code),
  str('error_phase', (r) => r.error?.phase),
  str('error_message', (r) => r.error?.message),
  str('backend', (r) => r.backend),
  str('backend_version', (r) => r.backend_version),
  str('model_name', (r) => r.model_name),
  str('config_name', (r) => r.config_name),
  str('sweep_point', (r) => JSON.stringify(r.sweep_point)),
  dbl('avg_energy_per_token_j', (r) => r.avg_energy_per_token_j),
  dbl('energy_per_request_j', (r) => r.energy_per_request_j),
  dbl('total_energy_j', (r) => r.total_energy_j),
  // the aggregate keeps energy and duration, not power: their quotient is the mean (baseline-adjusted) power
  dbl('avg_power_w', (r) => (r.total_energy_j !== null && r.total_inference_time_sec > 0 ? r.total_energy_j / r.total_inference_time_sec : null)),
  dbl('emissions_kg_co2', (r) => r.emissions_kg_co2),
  str('energy_method', (r) => r.energy_method),
  str('energy_confidence', (r) => r.energy_confidence),
  str('headline_window', (r) => r.measurement_methodology?.headline_window),
  dbl('steady_state_energy_per_token_j', (r) => r.steady_state_window?.energy_per_token_j),
  dbl('steady_state_duration_sec', (r) => r.steady_state_window?.duration_sec),
  dbl('energy_raw_j', (r) => r.energy_breakdown?.raw_j),
  dbl('baseline_power_w', (r) => r.energy_breakdown?.baseline_power_w),
  str('baseline_method', (r) => r.energy_breakdown?.baseline_method),
  dbl('total_inference_time_sec', (r) => r.total_inference_time_sec),
  dbl('avg_tokens_per_second', (r) => r.avg_tokens_per_second),
  dbl('output_tokens_per_second', (r) => r.output_tokens_per_second),
  ...latencyColumns,
  i64('total_tokens', (r) => r.total_tokens),
  i64('total_input_tokens', (r) => r.total_input_tokens),
  i64('total_output_tokens', (r) => r.total_output_tokens),
  i64('num_requests', (r) => processSum(r, (m) => m.num_requests)),
  i64('num_failed_requests', (r) => processSum(r, (m) => m.num_failed_requests)),
  dbl('total_flops', (r) => r.total_flops),
  dbl('peak_memory_mb', (r) => r.extended_metrics?.memory.peak_memory_mb),
  dbl('effective_batch_size', (r) => r.extended_metrics?.batch.effective_batch_size),
  { name: 'thermal_throttled', type: 'BOOLEAN', get: (r) => r.thermal_throttle?.throttled },
  i32('warnings_count', (r) => r.measurement_warnings.length),
  // a JSON array as text: list columns read back differently in every tool, text reads the same
  str('measurement_warnings', (r) => JSON.stringify(r.measurement_warnings)),
  { name: 'start_time', type: 'TIMESTAMP', get: (r) => r.start_time },
  { name: 'end_time', type: 'TIMESTAMP', get: (r) => r.end_time },
  str('schema_version', (r) => r.schema_version),
  str('llem_version', (r) => r.llem_version),
]

/** The ITL statistics the table keeps, as summarise() computes them */
export interface ItlStats {
  median: number
  p99: number
  max: number
}

export interface RequestTableRow {
  run_id: string
  experiment_id: string
  process_index: number
  request: RequestRecord
  /** this request's own inter-token gaps, where the stored flat list can be split exactly; else null */
  itl: number[] | null
  itlSummary: ItlStats | null
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
  i32('itl_count', (r) => r.itl?.length),
  dbl('itl_median_ms', (r) => r.itlSummary?.median),
  dbl('itl_p99_ms', (r) => r.itlSummary?.p99),
  dbl('itl_max_ms', (r) => r.itlSummary?.max),
  dbl('energy_j', (r) => r.request.energy_j),
]

/** One config column, typed by what its values hold: all ints, all numbers, all booleans, else text. */
export function configColumn(key: string, values: ConfigValue[]): Column<number> {
  const present = values.filter((v) => v !== null)
  let type: ColumnType = 'STRING'
  if (present.length && present.every((v) => typeof v === 'boolean')) type = 'BOOLEAN'
  else if (present.length && present.every((v) => typeof v === 'number')) type = present.every((v) => Number.isSafeInteger(v)) ? 'INT64' : 'DOUBLE'
  const get = (i: number) => (type === 'STRING' && values[i] !== null ? String(values[i]) : values[i])
  return { name: `config.${key}`, type, get }
}

/** A value as its column's type declares it; anything that does not fit is null, never coerced. */
function cell(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null
  switch (type) {
    case 'STRING':
      return typeof v === 'string' ? v : null
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : null
    case 'DOUBLE':
      return typeof v === 'number' && Number.isFinite(v) ? v : null
    case 'INT32':
      return Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1 ? v : null
    case 'INT64':
      // the writer takes 64-bit integers as bigint only
      return Number.isSafeInteger(v) ? BigInt(v as number) : null
    case 'TIMESTAMP': {
      const d = typeof v === 'string' && v ? new Date(v) : null
      return d && !Number.isNaN(d.getTime()) ? d : null
    }
  }
}

export function toColumnData<R>(columns: Column<R>[], rows: R[]): ColumnSource[] {
  return columns.map((c) => ({ name: c.name, type: c.type, data: rows.map((r) => cell(c.type, c.get(r))) }))
}

// one buffer for every request's ITLs: a run of 100,000 requests would otherwise allocate (and sort)
// a fresh array per request, and summarise() computes six statistics the table does not keep
let scratch = new Float64Array(256)

/** median, p99 and max of one request's gaps, the same numbers summarise() gives; null when empty */
export function itlStats(itl: readonly number[]): ItlStats | null {
  if (itl.length === 0) return null
  if (itl.length > scratch.length) scratch = new Float64Array(itl.length * 2)
  scratch.set(itl)
  const xs = scratch.subarray(0, itl.length).sort()
  return { median: percentile(xs, 50), p99: percentile(xs, 99), max: xs[xs.length - 1] }
}

/**
 * The requests table's columns, filled in one pass over the requests through a single reused row:
 * building a row object per request (with its ITL list and summary) kept all 100,000 of a large run
 * alive until the table was written, over 100 MB on top of the results themselves.
 */
export function requestColumnData(results: readonly AggregatedResult[]): ColumnSource[] {
  // sized up front: grown by push, each column's 100,000 cells leave behind the copies of every
  // smaller backing store, large objects that only a full collection frees
  let total = 0
  for (const r of results) for (const p of r.process_results) total += p.requests.length
  const data = requestColumns.map(() => new Array<unknown>(total))
  const row: RequestTableRow = { run_id: '', experiment_id: '', process_index: 0, request: null as unknown as RequestRecord, itl: null, itlSummary: null }
  let at = 0
  for (const r of results) {
    row.run_id = r.run_id
    row.experiment_id = r.experiment_id
    for (const { process, record, itlMs } of requestRows(r)) {
      row.process_index = process.process_index
      row.request = record
      row.itl = itlMs
      row.itlSummary = itlMs ? itlStats(itlMs) : null
      for (let c = 0; c < requestColumns.length; c++) data[c][at] = cell(requestColumns[c].type, requestColumns[c].get(row))
      at++
    }
  }
  return requestColumns.map((c, k) => ({ name: c.name, type: c.type, data: data[k] }))
}

export interface ParquetTables {
  experiments: Uint8Array
  requests: Uint8Array
}

export function toParquet(results: AggregatedResult[]): ParquetTables {
  const varying = varyingConfig(results)
  const config = varying.keys.map((k) => configColumn(k, varying.values.map((v) => v[k])))
  // config columns right after the identity, where a reader looks for what tells rows apart
  const at = experimentColumns.findIndex((c) => c.name === 'sweep_point')
  const indexed = (cols: Column<Exp>[]): Column<number>[] => cols.map((c) => ({ ...c, get: (i: number) => c.get(results[i]) }))
  const expColumns = [...indexed(experimentColumns.slice(0, at)), ...config, ...indexed(experimentColumns.slice(at))]
  const first = results[0]
  const meta = {
    kvMetadata: [
      { key: 'llem.schema_version', value: first?.schema_version ?? SCHEMA_VERSION },
      { key: 'llem.run_id', value: first?.run_id ?? '' },
    ],
    createdBy: `llem ${first?.llem_version ?? 'unknown'}`,
    codec: 'SNAPPY' as const,
  }
  return {
    experiments: new Uint8Array(parquetWriteBuffer({ columnData: toColumnData(expColumns, results.map((_, i) => i)), ...meta })),
    // min/max statistics only where a query filters (which run, which experiment): computing them for
    // every column of 100,000 requests was a third of the time spent writing the table
    requests: new Uint8Array(parquetWriteBuffer({ columnData: requestColumnData(results).map((c) => ({ ...c, statistics: c.name === 'run_id' || c.name === 'experiment_id' })), ...meta })),
  }
}

export function createParquetReporter(ctx: ReporterContext): Reporter {
  const results: AggregatedResult[] = []
  // several files, so outputFile names a directory (as Vitest's reporters that write many files do)
  const dir = ctx.outputFile ?? ctx.runDir
  return {
    name: 'parquet',
    onExperimentEnd(_info, result) {
      results.push(result)
    },
    async onRunEnd(summary) {
      // the run's own list, which after --resume also holds the experiments completed before
      const tables = toParquet(summary.results.length >= results.length ? summary.results : results)
      await writeFileAtomic(path.join(dir, 'experiments.parquet'), tables.experiments)
      await writeFileAtomic(path.join(dir, 'requests.parquet'), tables.requests)
      if (ctx.outputFile !== null) ctx.stdout.write(`Parquet tables written to ${dir}\n`)
    },
  }
}

export default (ctx: ReporterContext): Reporter => createParquetReporter(ctx)
