/**
 * One line for a JSON or YAML config that does not parse. cosmiconfig wraps the parser's error: its
 * JSONError (from parse-json) puts the cause after a code frame and gives only a character position;
 * js-yaml's YAMLException carries a 0-based `mark` and a `reason`. Both end up as file:line:column: cause.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

export function describeDataSyntaxError(e: unknown, file: string): string | null {
  const err = e as { name?: string; message?: string; reason?: string; mark?: { line?: number; column?: number } }
  const rel = path.relative(process.cwd(), file) || file
  if (err?.name === 'YAMLException' && typeof err.reason === 'string') {
    const pos = err.mark && typeof err.mark.line === 'number' && typeof err.mark.column === 'number' ? `:${err.mark.line + 1}:${err.mark.column + 1}` : ''
    return `${rel}${pos}: syntax error: ${err.reason}`
  }
  if (err?.name === 'JSONError' && typeof err.message === 'string') {
    // the cause is the message's one line that is neither the header nor part of the code frame
    // parse-json colours its code frame when the terminal (or CI=true) allows colour: strip the escapes
    // eslint-disable-next-line no-control-regex
    const plain = err.message.replace(/\x1b\[[0-9;]*m/g, '')
    const lines = plain.split('\n').map((l) => l.trim())
    const causeLine = lines.find((l) => l !== '' && !/^JSON Error in /.test(l) && !/^(>?\s*\d+\s*\||\|)/.test(l)) ?? 'invalid JSON'
    const cause = causeLine.replace(/\s+while parsing .*$/, '').replace(/\s+in JSON at position \d+.*$/, '').trim()
    const at = /at position (\d+)/.exec(causeLine)
    const pos = at ? lineColumn(file, Number(at[1])) : null
    return `${rel}${pos ? `:${pos.line}:${pos.column}` : ''}: syntax error: ${cause}`
  }
  return null
}

function lineColumn(file: string, offset: number): { line: number; column: number } | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  const before = text.slice(0, offset).split('\n')
  return { line: before.length, column: before[before.length - 1].length + 1 }
}
