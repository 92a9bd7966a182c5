/**
 * The column mapping: which column of a record holds the prompt (text, or a conversation whose first
 * user turn is the prompt), the reference response, or the input and output lengths. Every problem
 * names the file, the row and the column.
 */
import { InputError } from '../errors.js'
import type { DatasetFormat } from './dataset-formats.js'
import { locate, type DatasetRecord } from './dataset-records.js'

/** One dataset entry before its text is generated (trace replay) and its output length resolved. */
export interface MappedRow {
  id: number
  source: string
  /** the prompt; absent when it is generated to `inputTokens` */
  text?: string
  inputTokens?: number
  outputTokens?: number
  /** a reference reply, whose token count is the output length for outputTokens: 'dataset' */
  response?: string
  /** a conversation's user turns in order (the first is `text`), each with the reply the dataset gives
   *  after it; used when dataset.multiTurn is set */
  turns?: { text: string; response?: string }[]
  /** a trace row's arrival time, in ms as the trace counts them */
  timestampMs?: number
}

export interface ColumnMapping {
  prompt?: string
  messages?: string
  response?: string
  inputTokens?: string
  outputTokens?: string
}

const HUMAN_SPEAKERS = new Set(['human', 'user'])
const ASSISTANT_SPEAKERS = new Set(['gpt', 'assistant', 'model', 'bot', 'chatgpt'])
const CONVERSATION_COLUMNS = ['conversations', 'messages']

export function mapRecords(records: DatasetRecord[], declared: string[] | null, o: { columns?: ColumnMapping; format: DatasetFormat; file: string }): MappedRow[] {
  const fail = (message: string, r?: DatasetRecord) => new InputError('DATASET_INVALID', `${locate(r?.file ?? o.file, r?.where)}: ${message}`, { file: r?.file ?? o.file, where: r?.where })
  // the columns the file has: its header or schema, else the first row's keys
  const known = declared ?? (records[0] ? Object.keys(records[0].values) : [])
  const list = (cols: string[]) => (cols.length ? cols.map((c) => JSON.stringify(c)).join(', ') : 'none')
  const mapping: ColumnMapping = { ...o.columns }
  // ShareGPT: each entry's own conversations or messages list, entries with neither skipped (as vLLM does)
  const sharegpt = o.format === 'sharegpt'
  if (!sharegpt && mapping.prompt === undefined && mapping.messages === undefined && mapping.inputTokens === undefined) {
    if (known.includes('prompt')) mapping.prompt = 'prompt'
    else {
      const conversation = CONVERSATION_COLUMNS.find((c) => known.includes(c))
      if (conversation === undefined) {
        if (records.length === 0) return []
        throw fail(`no prompt column: name one in dataset.columns (prompt, messages or inputTokens); the file's columns are ${list(known)}`)
      }
      mapping.messages = conversation
    }
  }
  // a column the header or schema lacks is wrong for every row: said once, with what there is
  if (declared !== null) {
    for (const [role, column] of Object.entries(mapping) as [string, string][])
      if (!declared.includes(column)) throw fail(`no column "${column}" (dataset.columns.${role}); the file's columns are ${list(declared)}`)
  }

  const rows: MappedRow[] = []
  for (const r of records) {
    const get = (role: keyof ColumnMapping): unknown => {
      const column = mapping[role]!
      if (!(column in r.values)) throw fail(`no column "${column}" (dataset.columns.${role}); this row has ${list(Object.keys(r.values))}`, r)
      return r.values[column]
    }
    const text = (role: keyof ColumnMapping): string => {
      const v = get(role)
      if (typeof v !== 'string') throw fail(`column "${mapping[role]}" (dataset.columns.${role}) is ${describe(v)}, not text`, r)
      return v
    }
    const length = (role: keyof ColumnMapping): number => {
      const v = get(role)
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
      if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw fail(`column "${mapping[role]}" (dataset.columns.${role}) is ${describe(v)}, not a whole number of tokens above 0`, r)
      return n
    }
    const row: MappedRow = { id: rows.length, source: r.source }
    if (sharegpt || mapping.messages !== undefined) {
      const column = mapping.messages ?? CONVERSATION_COLUMNS.find((c) => Array.isArray(r.values[c]))
      if (column === undefined) continue
      const turns = conversation(mapping.messages !== undefined ? get('messages') : r.values[column])
      if (turns === null) throw fail(`column "${column}" (dataset.columns.messages) is ${describe(r.values[column])}, not a list of { role, content } or { from, value } turns`, r)
      const human = turns.findIndex((t) => HUMAN_SPEAKERS.has(t.speaker) && t.text.trim() !== '')
      // a conversation with no user turn has no prompt: skipped, as ShareGPT benchmarks do
      if (human < 0) continue
      row.text = turns[human].text
      const reply = turns.slice(human + 1).find((t) => ASSISTANT_SPEAKERS.has(t.speaker))
      if (reply !== undefined) row.response = reply.text
      row.turns = userTurns(turns.slice(human))
    } else if (mapping.prompt !== undefined) row.text = text('prompt')
    else row.inputTokens = length('inputTokens')
    if (mapping.response !== undefined) row.response = text('response')
    if (mapping.outputTokens !== undefined) row.outputTokens = length('outputTokens')
    rows.push(row)
  }
  return rows
}

/**
 * The user turns from the first, each with the assistant reply that follows it. Consecutive user
 * messages are one turn (joined by a blank line): a chat client sends them before any reply. Empty
 * user messages and other speakers (system, tool) are left out.
 */
function userTurns(turns: { speaker: string; text: string }[]): { text: string; response?: string }[] {
  const out: { text: string; response?: string }[] = []
  for (const t of turns) {
    const last = out[out.length - 1] as { text: string; response?: string } | undefined
    if (HUMAN_SPEAKERS.has(t.speaker)) {
      if (t.text.trim() === '') continue
      if (last !== undefined && last.response === undefined) last.text += `\n\n${t.text}`
      else out.push({ text: t.text })
    } else if (ASSISTANT_SPEAKERS.has(t.speaker) && last !== undefined && last.response === undefined) last.response = t.text
  }
  return out
}

/** The turns of a conversation value: a list (Parquet, JSON) or a JSON string of one (CSV). */
function conversation(value: unknown): { speaker: string; text: string }[] | null {
  let v = value
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v)
    } catch {
      return null
    }
  }
  if (!Array.isArray(v)) return null
  const turns: { speaker: string; text: string }[] = []
  for (const t of v) {
    if (typeof t !== 'object' || t === null) continue
    const o = t as Record<string, unknown>
    const speaker = typeof o.from === 'string' ? o.from : o.role
    const text = typeof o.value === 'string' ? o.value : o.content
    if (typeof speaker === 'string' && typeof text === 'string') turns.push({ speaker: speaker.toLowerCase(), text })
  }
  return turns
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty'
  if (typeof v === 'string') return v.trim() === '' ? 'empty' : JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)
  if (Array.isArray(v)) return 'a list'
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`
}
