/**
 * One line for an error thrown while importing a user's file (config or bench): the file, the line
 * and column when the error or its stack names them, and the error's own message.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export function locateInStack(e: unknown, file: string): { line: number; column: number } | null {
  const stack = e instanceof Error ? (e.stack ?? '') : ''
  const target = path.resolve(file)
  for (const line of stack.split('\n')) {
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line.trim())
    if (!m) continue
    const where = m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1]
    if (path.resolve(where) === target) return { line: Number(m[2]), column: Number(m[3]) }
  }
  return null
}

export function describeImportError(e: unknown, file: string, what: string): string {
  const err = e as { message?: string; name?: string }
  const rel = path.relative(process.cwd(), file) || file
  const full = String(err?.message ?? e)
  const message = full.split('\n')[0].replace(/^\s*\[.*?\]\s*/, '').replace(/^(ParseError|SyntaxError):\s*/, '').trim()
  // jiti reports a parse error as "ParseError: ...\n <file>:<line>:<column>"; runtime errors carry a
  // stack frame in the file
  const inMessage = /:(\d+):(\d+)\s*$/m.exec(full.split('\n').slice(1).join('\n'))
  const loc = inMessage ? { line: Number(inMessage[1]), column: Number(inMessage[2]) } : locateInStack(e, file)
  const pos = loc ? `:${loc.line}:${loc.column}` : ''
  const syntax = err?.name === 'SyntaxError' || /^(ParseError|SyntaxError)/.test(full)
  const kind = syntax ? 'syntax error' : `${err?.name && err.name !== 'Error' ? err.name : 'error'} while loading ${what}`
  return `${rel}${pos}: ${kind}: ${message}`
}
