/**
 * Read a dataset file into records (column name -> value) for the column mapping to pick from:
 * JSON (an array of objects), JSONL (one object a line), CSV (RFC 4180, a header row) and Parquet (a
 * file, or a downloaded Hugging Face dataset folder whose `<split>-00000-of-00001.parquet` files are
 * read in order). Nothing is fetched: the files must be on disk.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { InputError } from '../errors.js'
import { CsvSyntaxError, parseCsvRecords } from './csv.js'

export interface DatasetRecord {
  values: Record<string, unknown>
  /** the file it was read from (absolute): a parquet folder has several */
  file: string
  /** for provenance and errors: `data.csv:14`, `data.json[3]`, `train-00000-of-00001.parquet row 7` */
  source: string
  /** the place in the file, as an error names it: `line 14 (row 13)`, `[3]`, `row 7` */
  where: string
}

export interface ReadRecordsResult {
  records: DatasetRecord[]
  /** the columns the file declares (CSV header, Parquet schema); null for JSON, where each row has its own */
  columns: string[] | null
  /** the file(s) actually read, as absolute paths, for error messages */
  files: string[]
}

/** `data.csv:14 (row 13)` for a place on a line (editors jump to path:line), `data.json: [3]` otherwise */
export function locate(file: string, where?: string): string {
  if (!where) return file
  const line = /^line (\d+)(.*)$/.exec(where)
  return line ? `${file}:${line[1]}${line[2]}` : `${file}: ${where}`
}

const invalid = (file: string, message: string, where?: string, cause?: unknown) => new InputError('DATASET_INVALID', `${locate(file, where)}: ${message}`, { file, where, cause })

export async function readText(file: string): Promise<string> {
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError('DATASET_NOT_FOUND', `dataset file not found: ${file}`, { file, cause: error })
    if (code === 'EISDIR') throw invalid(file, 'is a directory: only a parquet dataset may be a folder (format: "parquet")')
    throw invalid(file, `cannot read: ${(error as Error).message}`, undefined, error)
  }
  return raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw
}

export function readJsonRecords(raw: string, file: string, shown: string): DatasetRecord[] {
  let data: unknown
  try {
    data = JSON.parse(raw)
  } catch (error) {
    throw invalid(file, `not valid JSON (${(error as Error).message})`, undefined, error)
  }
  if (!Array.isArray(data)) throw invalid(file, 'expected a JSON array of objects (one per row)')
  return data.map((values, i) => {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw invalid(file, 'expected an object (one row)', `[${i}]`)
    return { values: values as Record<string, unknown>, file, source: `${shown}[${i}]`, where: `[${i}]` }
  })
}

export function readJsonlRecords(raw: string, file: string, shown: string): DatasetRecord[] {
  const records: DatasetRecord[] = []
  raw.split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    const where = `line ${i + 1}`
    let values: unknown
    try {
      values = JSON.parse(line)
    } catch (error) {
      throw invalid(file, `not valid JSON (${(error as Error).message})`, where, error)
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw invalid(file, 'expected a JSON object', where)
    records.push({ values: values as Record<string, unknown>, file, source: `${shown}:${i + 1}`, where })
  })
  return records
}

export function readCsvRecords(raw: string, file: string, shown: string): { records: DatasetRecord[]; columns: string[] } {
  let rows
  try {
    rows = parseCsvRecords(raw)
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw invalid(file, error.message, `line ${error.line}`, error)
    throw error
  }
  if (rows.length === 0) return { records: [], columns: [] }
  const [header, ...body] = rows
  const columns = header.fields.map((c) => c.trim())
  const records = body.map((r, i) => {
    const where = `line ${r.line} (row ${i + 1})`
    if (r.fields.length !== columns.length) throw invalid(file, `has ${r.fields.length} fields, the header has ${columns.length}`, where)
    return { values: Object.fromEntries(columns.map((c, j) => [c, r.fields[j]])), file, source: `${shown}:${r.line}`, where }
  })
  return { records, columns }
}

/**
 * A folder holds a Hugging Face dataset as downloaded: parquet files named `<split>-NNNNN-of-NNNNN`
 * (the Hub's `data/` layout), `<split>.parquet`, or under a `<split>/` folder (the Hub's parquet
 * conversion). Only the split asked for is read, its shards in name order.
 */
export async function parquetFiles(target: string, split: string): Promise<string[]> {
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    throw new InputError('DATASET_NOT_FOUND', `dataset file not found: ${target}`, { file: target, cause: error })
  })
  if (!info.isDirectory()) return [target]
  const all = (await readdir(target, { recursive: true })).map(String).filter((f) => f.toLowerCase().endsWith('.parquet')).sort()
  if (all.length === 0) throw invalid(target, 'is a folder with no .parquet files in it')
  const inSplit = all.filter((f) => {
    const parts = f.split(path.sep)
    const base = parts[parts.length - 1].toLowerCase()
    return parts.slice(0, -1).includes(split) || base.startsWith(`${split.toLowerCase()}-`) || base === `${split.toLowerCase()}.parquet`
  })
  if (inSplit.length === 0) throw invalid(target, `has no parquet files for split "${split}" (found: ${all.slice(0, 6).join(', ')}${all.length > 6 ? ', ...' : ''}); set dataset.split`)
  return inSplit.map((f) => path.join(target, f))
}

/** `target` is the file or folder the user named, `shown` that path as written (for `source`). */
export async function readParquetRecords(files: string[], target: string, shown: string, wanted: string[] | null): Promise<ReadRecordsResult> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import('hyparquet')
  const records: DatasetRecord[] = []
  let columns: string[] | null = null
  for (const file of files) {
    const name = file === target ? shown : path.join(shown, path.relative(target, file))
    let rows: Record<string, unknown>[]
    try {
      const buffer = await asyncBufferFromFile(file)
      const metadata = await parquetMetadataAsync(buffer)
      const names = parquetSchema(metadata).children.map((c) => c.element.name)
      columns ??= names
      // only the mapped columns are decoded: a chat dataset's other columns can be most of the file
      const read = wanted?.filter((c) => names.includes(c))
      rows = await parquetReadObjects({ file: buffer, metadata, ...(read && read.length ? { columns: read } : {}) })
    } catch (error) {
      throw invalid(file, `not a readable parquet file (${(error as Error).message})`, undefined, error)
    }
    rows.forEach((values, i) => records.push({ values: plainValues(values), file, source: `${name} row ${i}`, where: `row ${i}` }))
  }
  return { records, columns, files }
}

/** Parquet INT64 columns decode to bigint: lengths are ordinary numbers from here on. */
function plainValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(values)) out[k] = typeof v === 'bigint' ? Number(v) : v
  return out
}
