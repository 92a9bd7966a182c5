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
import { parquetWriteBuffer } from 'hyparquet-writer'
import type { Reporter, ReporterContext } from 'llem/plugin'
import { writeFileAtomic, latencyStatisticsSchema, SCHEMA_VERSION, type AggregatedResult } from 'llem/plugin'
import { dbl, i32, i64, str, toColumnData, type Column, type ColumnType } from './lib/parquet-columns.js'
import { requestColumnData } from './lib/parquet-requests.js'
import { varyingConfig, type ConfigValue } from './varying-config.js'

export type { Column, ColumnType } from './lib/parquet-columns.js'
export { requestColumns, type RequestTableRow } from './lib/parquet-requests.js'

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
  dbl('avg_power_w', (r) => (r.total_energy_j !== null && (r.total_inference_time_sec ?? 0) > 0 ? r.total_energy_j / r.total_inference_time_sec! : null)),
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

/** One config column, typed by what its values hold: all ints, all numbers, all booleans, else text. */
export function configColumn(key: string, values: ConfigValue[]): Column<number> {
  const present = values.filter((v) => v !== null)
  let type: ColumnType = 'STRING'
  if (present.length && present.every((v) => typeof v === 'boolean')) type = 'BOOLEAN'
  else if (present.length && present.every((v) => typeof v === 'number')) type = present.every((v) => Number.isSafeInteger(v)) ? 'INT64' : 'DOUBLE'
  const get = (i: number) => (type === 'STRING' && values[i] !== null ? String(values[i]) : values[i])
  return { name: `config.${key}`, type, get }
}

export interface ParquetTables {
  experiments: Uint8Array
  requests: Uint8Array
}

/** rows per row group of requests.parquet: each column's slice of a group stays a small (young) object */
export const REQUEST_ROW_GROUP = 10_000

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
    // every column of 100,000 requests was a third of the time spent writing the table.
    // Row groups of REQUEST_ROW_GROUP rows, not the writer's default (1,000, then 100,000): a column's
    // slice of a 100,000-row group and the writer's arrays for it are large objects V8 frees only in a
    // full collection, so a big run's table left ~70 MB of them behind (peak RSS 230-260 -> 163-166 MB,
    // and 0.57-0.65 -> 0.41-0.50 s, for 1,000 experiments x 100 requests); readers split work by group
    requests: new Uint8Array(parquetWriteBuffer({ columnData: requestColumnData(results).map((c) => ({ ...c, statistics: c.name === 'run_id' || c.name === 'experiment_id' })), rowGroupSize: REQUEST_ROW_GROUP, ...meta })),
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
