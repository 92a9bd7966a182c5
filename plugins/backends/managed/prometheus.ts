/**
 * Prometheus text exposition, read just far enough for engine gauges and counters: `name{labels} value`
 * lines, comments skipped, values of one name summed over its label sets (one engine serves one model,
 * so the sum is that model's figure; several models on one engine add up, as their load does).
 */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    // the name ends at '{' or at the first space; label values may hold spaces, so skip the braces whole
    const brace = line.indexOf('{')
    const space = line.indexOf(' ')
    let name: string
    let rest: string
    if (brace !== -1 && (space === -1 || brace < space)) {
      const close = closingBrace(line, brace)
      if (close === -1) continue
      name = line.slice(0, brace)
      rest = line.slice(close + 1).trim()
    } else {
      if (space === -1) continue
      name = line.slice(0, space)
      rest = line.slice(space + 1).trim()
    }
    const value = parseValue(rest.split(/\s+/)[0])
    if (value === null) continue
    out.set(name, (out.get(name) ?? 0) + value)
  }
  return out
}

function closingBrace(line: string, open: number): number {
  let quoted = false
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i]
    if (c === '\\') i++
    else if (c === '"') quoted = !quoted
    else if (c === '}' && !quoted) return i
  }
  return -1
}

function parseValue(s: string | undefined): number | null {
  if (s === undefined || s === '') return null
  if (s === '+Inf') return Infinity
  if (s === '-Inf') return -Infinity
  const v = Number(s)
  return Number.isNaN(v) ? null : v
}

/** The first of `names` present (engines renamed metrics across versions); counters may carry `_total`. */
export function pick(m: Map<string, number>, ...names: string[]): number | null {
  for (const n of names) {
    const v = m.get(n) ?? m.get(`${n}_total`)
    if (v !== undefined) return v
  }
  return null
}
