/**
 * Request traces with a fixed layout: each row is one request of a real service, with when it arrived
 * and how many tokens went in and came out. Replayed, the prompt is generated to the input length and
 * the output is held to the output length; load.replay sends each row at its time.
 *
 * mooncake: JSONL, `{"timestamp": <ms since the first request>, "input_length", "output_length",
 *   "hash_ids": [...]}` (Mooncake's published traces). hash_ids (the prompt's cache blocks) are read
 *   past: every prompt is generated apart, so rows never share a prefix.
 * burstgpt: CSV with a header, `Timestamp` (s), `Model`, `Request tokens`, `Response tokens`,
 *   `Total tokens`, `Log Type` (BurstGPT's release files). Rows with 0 response tokens are the
 *   service's failed requests (the release says so) and are left out.
 */
import { InputError } from '../errors.js'
import { locate, readCsvRecords, readJsonlRecords, readText, type DatasetRecord } from './dataset-records.js'
import type { MappedRow } from './dataset-columns.js'
import type { DatasetPrompt } from './dataset.js'

const LAYOUT = {
  mooncake: { time: 'timestamp', input: 'input_length', output: 'output_length', msPerUnit: 1, unit: 'ms' },
  burstgpt: { time: 'Timestamp', input: 'Request tokens', output: 'Response tokens', msPerUnit: 1000, unit: 's' },
} as const

export type TraceFormat = keyof typeof LAYOUT

export async function readTraceRows(path: string, shown: string, format: TraceFormat): Promise<MappedRow[]> {
  const raw = await readText(path)
  const layout = LAYOUT[format]
  const fail = (message: string, r?: DatasetRecord) => new InputError('DATASET_INVALID', `${locate(path, r?.where)}: ${message}`, { file: path, where: r?.where })
  let records: DatasetRecord[]
  if (format === 'burstgpt') {
    const read = readCsvRecords(raw, path, shown)
    const missing = [layout.time, layout.input, layout.output].filter((c) => !read.columns.includes(c))
    if (read.records.length > 0 && missing.length > 0)
      throw fail(`a BurstGPT trace needs the columns ${missing.map((c) => JSON.stringify(c)).join(', ')}; the header has ${read.columns.map((c) => JSON.stringify(c)).join(', ')}`)
    records = read.records
  } else records = readJsonlRecords(raw, path, shown)

  const rows: MappedRow[] = []
  let previous = -Infinity
  for (const r of records) {
    const field = (key: string) => r.values[key]
    const number = (key: string, what: string, ok: (n: number) => boolean): number => {
      const v = field(key)
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
      if (typeof n !== 'number' || !Number.isFinite(n) || !ok(n)) throw fail(`"${key}" is ${v === undefined ? 'missing' : JSON.stringify(v)}: ${what}`, r)
      return n
    }
    const time = number(layout.time, `an arrival time in ${layout.unit}, 0 or more`, (n) => n >= 0)
    const input = number(layout.input, 'a whole number of input tokens above 0', (n) => Number.isInteger(n) && n > 0)
    const output = number(layout.output, 'a whole number of output tokens (0 only for a failed request in a BurstGPT trace)', (n) => Number.isInteger(n) && (n > 0 || (n === 0 && format === 'burstgpt')))
    // a replay sends rows in file order at their times: a row earlier than the one before is a broken trace
    if (time < previous) throw fail(`"${layout.time}" ${time} is earlier than the row before (${previous}): a trace lists its requests in time order`, r)
    previous = time
    if (output === 0) continue
    rows.push({ id: rows.length, source: r.source, inputTokens: input, outputTokens: output, timestampMs: time * layout.msPerUnit })
  }
  return rows
}

/**
 * After the prompts are made (one per row, in row order): each keeps its row's arrival time, and a
 * trace's output lengths are the requests' own unless dataset.outputTokens says otherwise.
 */
export function applyTraceRows(rows: readonly MappedRow[], prompts: DatasetPrompt[], outputTokensSet: boolean): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    if (row.timestampMs === undefined) continue
    prompts[i].arrivalMs = row.timestampMs
    if (!outputTokensSet && row.outputTokens !== undefined) prompts[i].maxTokens = row.outputTokens
  }
}
