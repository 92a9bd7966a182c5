/**
 * One CSV row per experiment, for spreadsheets and pandas. Columns are the dotted paths of the
 * result's scalar fields (`latency_stats.ttft_median_ms`, `effective_config.load.concurrency`, ...);
 * lists and the bulky nested records (per-process results, provenance, environment) stay in the JSON,
 * where they have a shape a flat table cannot hold.
 */
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { runFileReporter } from './lib/run-file.js'

/** top-level fields left out entirely */
const EXCLUDED = new Set(['process_results', 'parameter_provenance', 'environment'])
/** first, in this order; everything else follows sorted, so a file's columns don't depend on result order */
const IDENTITY = ['experiment_id', 'experiment_name', 'status']

export type Scalar = string | number | boolean | null

/** Flattens nested plain objects into dotted keys, keeping scalars (null included) and dropping arrays. */
export function flattenResult(result: AggregatedResult | Record<string, unknown>): Record<string, Scalar> {
  const flat: Record<string, Scalar> = {}
  const walk = (value: unknown, prefix: string): void => {
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') flat[prefix] = value
    else if (Array.isArray(value) || value === undefined || typeof value !== 'object') return
    else for (const [k, v] of Object.entries(value)) walk(v, `${prefix}.${k}`)
  }
  for (const [key, value] of Object.entries(result)) if (!EXCLUDED.has(key)) walk(value, key)
  return flat
}

/** Union of the rows' columns: identity fields first, then the rest sorted. */
export function csvColumns(rows: Array<Record<string, Scalar>>): string[] {
  const all = new Set(rows.flatMap((r) => Object.keys(r)))
  return [...IDENTITY.filter((k) => all.has(k)), ...[...all].filter((k) => !IDENTITY.includes(k)).sort()]
}

/**
 * RFC 4180: a field with a comma, quote, CR or LF is quoted and its quotes doubled; null is an empty
 * field. Text a spreadsheet would run as a formula (starting with = + - @, or a tab or CR it skips
 * first) gets a leading ' (https://owasp.org/www-community/attacks/CSV_Injection): bench, model and
 * config names can come from outside. Numbers, and text that is a plain number, are data and stay.
 */
export function csvField(value: Scalar | undefined): string {
  if (value === null || value === undefined) return ''
  let s = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function toCsv(results: AggregatedResult[]): string {
  const rows = results.map(flattenResult)
  const columns = csvColumns(rows)
  // RFC 4180 line breaks are CRLF
  return [columns, ...rows.map((row) => columns.map((c) => row[c]))].map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n'
}

export function createCsvReporter(ctx: ReporterContext): Reporter {
  return runFileReporter(ctx, { name: 'csv', defaultName: 'results.csv', label: 'CSV report', render: toCsv })
}

export default (ctx: ReporterContext): Reporter => createCsvReporter(ctx)
