/**
 * One line for an error thrown while importing a user's file (config or bench): the file, the line
 * and column when the error or its stack names them, and the error's own message.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { sourcePosition } from './source-position.js'

export function locateInStack(e: unknown, file: string): { line: number; column: number } | null {
  const stack = e instanceof Error ? (e.stack ?? '') : ''
  const target = path.resolve(file)
  // look for the known file (as a path or a URL), not for a path-shaped token: a path may hold spaces
  for (const line of stack.split('\n')) {
    for (const where of [target, pathToFileURL(target).href]) {
      const i = line.indexOf(where + ':')
      if (i === -1 || (i > 0 && !/[\s(]/.test(line[i - 1]))) continue
      const m = /^:(\d+):(\d+)/.exec(line.slice(i + where.length))
      if (m) return { line: Number(m[1]), column: Number(m[2]) }
    }
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
  // a parse error's place is in the file as written; a stack frame's is in jiti's compiled code: mapped back
  const inStack = inMessage ? null : locateInStack(e, file)
  const loc = inMessage ? { line: Number(inMessage[1]), column: Number(inMessage[2]) } : inStack && sourcePosition(file, inStack)
  const pos = loc ? `:${loc.line}:${loc.column}` : ''
  const syntax = err?.name === 'SyntaxError' || /^(ParseError|SyntaxError)/.test(full)
  const kind = syntax ? 'syntax error' : `${err?.name && err.name !== 'Error' ? err.name : 'error'} while loading ${what}`
  return `${rel}${pos}: ${kind}: ${message}`
}
