/**
 * An RFC 4180 reader for dataset files: fields in double quotes may hold commas, line breaks and
 * doubled quotes (""); records end with CRLF or LF. Each record keeps the line it starts on, so an
 * error can point into the file even when an earlier field spans several lines.
 */
export interface CsvRecord {
  /** 1-based line where the record starts */
  line: number
  fields: string[]
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

export function parseCsvRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  let fields: string[] = []
  let field = ''
  let line = 1
  let start = 1
  let quoted = false
  let quoteLine = 0
  // a field that was quoted: text after its closing quote (`"a"b`) is malformed, not part of it
  let closed = false
  const endRecord = () => {
    fields.push(field)
    // a blank line (one empty field) is no record: trailing newlines and gaps are common
    if (!(fields.length === 1 && fields[0] === '' && !closed)) records.push({ line: start, fields })
    fields = []
    field = ''
    closed = false
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else {
          quoted = false
          closed = true
        }
      } else {
        if (c === '\n') line++
        field += c
      }
      continue
    }
    if (c === ',') {
      fields.push(field)
      field = ''
      closed = false
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      endRecord()
      line++
      start = line
    } else if (c === '"' && field === '' && !closed) {
      quoted = true
      quoteLine = line
    } else if (closed) {
      throw new CsvSyntaxError(`text after a closing quote (a quote inside a quoted field is written "")`, line)
    } else {
      field += c
    }
  }
  if (quoted) throw new CsvSyntaxError('a quoted field is never closed', quoteLine)
  if (field !== '' || fields.length > 0 || closed) endRecord()
  return records
}
