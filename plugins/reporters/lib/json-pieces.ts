/**
 * JSON.stringify(value, null, 2) + '\n', byte for byte, in pieces: the plain objects down to `depth`
 * are opened member by member and each member below is stringified on its own. lm-eval's results
 * document has an entry per task in each of its sections (a thousand in a large sweep): as one string
 * it is megabytes, built whole and then copied again to be written.
 */
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON !== 'function'

/** what JSON.stringify leaves out of an object: undefined, functions and symbols */
const omitted = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol'

export function* prettyJsonPieces(value: unknown, depth = 2): Generator<string> {
  yield* member(value, depth, '')
  yield '\n'
}

function* member(value: unknown, depth: number, indent: string): Generator<string> {
  if (depth <= 0 || !isPlainObject(value)) {
    // JSON.stringify indents nested lines from column 0; a raw line break only ever separates its
    // structure (one inside a string is escaped), so shifting every line keeps the exact bytes
    const s = JSON.stringify(value, null, 2)
    yield indent === '' ? s : s.replaceAll('\n', `\n${indent}`)
    return
  }
  const keys = Object.keys(value).filter((k) => !omitted(value[k]))
  if (keys.length === 0) {
    yield '{}'
    return
  }
  const inner = `${indent}  `
  yield '{\n'
  for (const [i, k] of keys.entries()) {
    yield `${inner}${JSON.stringify(k)}: `
    yield* member(value[k], depth - 1, inner)
    yield i < keys.length - 1 ? ',\n' : '\n'
  }
  yield `${indent}}`
}
