/** A stable hash of what an experiment runs: canonical JSON (sorted keys) of its effective config. */
import { createHash } from 'node:crypto'

/** `memo`: the text of objects already written, by identity, for a caller whose objects are shared
 *  and never changed while it hashes (a plan's points share their unchanged config sections). */
export function canonicalJson(value: unknown, memo?: WeakMap<object, string>): string {
  if (value && typeof value === 'object') {
    const hit = memo?.get(value)
    if (hit !== undefined) return hit
    const text = Array.isArray(value)
      ? `[${value.map((v) => canonicalJson(v, memo)).join(',')}]`
      : `{${Object.keys(value)
          .sort()
          .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
          .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], memo)}`)
          .join(',')}}`
    memo?.set(value, text)
    return text
  }
  return JSON.stringify(value ?? null)
}

/** Keys that shape the plan, not the measurement: left out so repeats and sweep points hash by what runs. */
const PLAN_KEYS = ['sweep', 'sweepMode', 'repeat']

export function taskHash(config: Record<string, unknown>, memo?: WeakMap<object, string>): string {
  const hashed = Object.fromEntries(Object.entries(config).filter(([k]) => !PLAN_KEYS.includes(k)))
  return createHash('sha256').update(canonicalJson(hashed, memo)).digest('hex').slice(0, 16)
}

export function slug(text: string, max = 60): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'bench'
  )
}
