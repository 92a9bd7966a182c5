/**
 * The dataset formats llem reads and how a file's format is told when not given. Apart from the
 * options' schema (dataset-schema.ts) so that the experiment worker reads datasets without loading zod.
 */

export const datasetFormats = ['text', 'jsonl', 'json', 'csv', 'parquet', 'sharegpt', 'mooncake', 'burstgpt'] as const
/** request traces with a fixed layout: an arrival time and input and output lengths per row (trace-formats.ts) */
export const traceFormats = new Set<DatasetFormat>(['mooncake', 'burstgpt'])
/** formats whose rows are records with named columns, read through `columns` */
export const columnFormats = new Set<DatasetFormat>(['jsonl', 'json', 'csv', 'parquet'])
export type DatasetFormat = (typeof datasetFormats)[number]

/** The format used when `format` is not given: a .json file is ShareGPT unless columns are mapped.
 *  (A folder, which has no extension, is recognised as parquet when it is read.) */
export function inferDatasetFormat(file: string, hasColumns = false): DatasetFormat {
  const lower = file.toLowerCase()
  if (lower.endsWith('.jsonl')) return 'jsonl'
  if (lower.endsWith('.json')) return hasColumns ? 'json' : 'sharegpt'
  if (lower.endsWith('.csv')) return 'csv'
  if (lower.endsWith('.parquet')) return 'parquet'
  return 'text'
}
