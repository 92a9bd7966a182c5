/**
 * A list given as one string, on the command line or in an environment variable: `a,b` is two items;
 * a comma inside braces belongs to its item (`{perf,extra}/*.bench.ts` is one glob, in `--include`
 * and in LLEM_INCLUDE alike).
 */
export function splitList(raw: string): string[] {
  const items: string[] = []
  let depth = 0
  let current = ''
  for (const ch of raw) {
    if (ch === '{') depth++
    else if (ch === '}') depth = Math.max(0, depth - 1)
    if (ch === ',' && depth === 0) {
      items.push(current)
      current = ''
    } else current += ch
  }
  items.push(current)
  return items.map((s) => s.trim()).filter(Boolean)
}
