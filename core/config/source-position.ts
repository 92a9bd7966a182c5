/**
 * Maps a line:column in the code jiti ran back to the user's file as written. jiti compiles a file
 * (types stripped, imports rewritten to `await jitiImport(...)`) and evaluates it wrapped in a function
 * whose head shares line 1 (jiti 2, `evalModule`: `(async function (exports, require, module,
 * __filename, __dirname, jitiImport, jitiESMResolve) { <code>`), and Node applies no source map to code
 * run through vm. So the file is compiled again, the same way, with an inline source map (format:
 * https://sourcemaps.info/spec.html), and the position is looked up in it.
 */
import { readFileSync } from 'node:fs'
import { createJiti } from '../load-jiti.js'

type Position = { line: number; column: number }

// the head jiti's async import puts before the compiled code on line 1
const WRAPPER_HEAD = '(async function (exports, require, module, __filename, __dirname, jitiImport, jitiESMResolve) { '

let jiti: ReturnType<typeof createJiti> | undefined

/** The position in `file` as written, or the given one when the file cannot be compiled or mapped. */
export function sourcePosition(file: string, at: Position): Position {
  try {
    jiti ??= createJiti(import.meta.url, { sourceMaps: true, fsCache: false, moduleCache: false })
    const code = jiti.transform({ source: readFileSync(file, 'utf8'), filename: file, ts: /\.[cm]?tsx?$/.test(file), async: true })
    const m = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code)
    if (!m) return at
    const map = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as { mappings: string }
    const column0 = at.line === 1 && at.column > WRAPPER_HEAD.length ? at.column - 1 - WRAPPER_HEAD.length : at.column - 1
    const found = lookup(map.mappings, at.line - 1, column0)
    return found ? { line: found.line + 1, column: found.column + 1 } : at
  } catch {
    // a worse column is better than no message: never fail the report of the user's error
    return at
  }
}

/** The source line and column of the last mapping at or before (line, column) of the generated code, 0-based. */
function lookup(mappings: string, line: number, column: number): Position | null {
  let srcLine = 0
  let srcCol = 0
  let best: Position | null = null
  const lines = mappings.split(';')
  for (let l = 0; l < lines.length && l <= line; l++) {
    let genCol = 0
    for (const seg of lines[l].split(',')) {
      if (seg === '') continue
      const v = decodeVlq(seg)
      genCol += v[0]
      if (v.length < 4) continue
      srcLine += v[2]
      srcCol += v[3]
      if (l === line && genCol <= column) best = { line: srcLine, column: srcCol }
    }
  }
  return best
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

function decodeVlq(segment: string): number[] {
  const out: number[] = []
  let value = 0
  let shift = 0
  for (const ch of segment) {
    const digit = B64.indexOf(ch)
    value += (digit & 31) << shift
    if (digit & 32) {
      shift += 5
      continue
    }
    out.push(value & 1 ? -(value >>> 1) : value >>> 1)
    value = 0
    shift = 0
  }
  return out
}
