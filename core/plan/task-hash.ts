/** A stable hash of what an experiment runs: canonical JSON (sorted keys) of its effective config. */
import { createHash } from 'node:crypto'

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object')
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(value ?? null)
}

/** Keys that shape the plan, not the measurement: left out so repeats and sweep points hash by what runs. */
const PLAN_KEYS = ['sweep', 'sweepMode', 'repeat']

export function taskHash(config: Record<string, unknown>): string {
  const hashed = Object.fromEntries(Object.entries(config).filter(([k]) => !PLAN_KEYS.includes(k)))
  return createHash('sha256').update(canonicalJson(hashed)).digest('hex').slice(0, 16)
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
