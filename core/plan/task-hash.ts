/** A stable hash of what an experiment runs: canonical JSON (sorted keys) of its effective config. */
import { hash } from 'node:crypto'

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
  // canonicalJson of the config without the plan keys, written here without copying the config
  // first: a plan hashes every point of a sweep, whose sections' texts the memo already holds
  // the pieces joined once into one flat string (a string grown piece by piece is a rope the hash
  // flattens again), each key's `"key":` made once
  const parts = ['{']
  for (const k of sortedKeys(config)) {
    const v = config[k]
    if (v === undefined || PLAN_KEYS.includes(k)) continue
    if (parts.length > 1) parts.push(',')
    parts.push(keyText(k), canonicalJson(v, memo))
  }
  parts.push('}')
  return sha256Hex(parts.join('')).slice(0, 16)
}

const keyTexts = new Map<string, string>()
function keyText(k: string): string {
  let t = keyTexts.get(k)
  if (t === undefined) keyTexts.set(k, (t = `${JSON.stringify(k)}:`))
  return t
}

// the last key order seen and its sorted form: a plan's configs come out of one validator with the
// same keys in the same order, so each is compared with the last rather than sorted anew (10,000
// sorted copies were a tenth of what planning a 10,000-point sweep allocates)
let lastKeys: string[] = []
let lastSorted: string[] = []
function sortedKeys(config: Record<string, unknown>): string[] {
  const keys = Object.keys(config)
  if (keys.length === lastKeys.length && keys.every((k, i) => k === lastKeys[i])) return lastSorted
  lastKeys = keys
  return (lastSorted = [...keys].sort())
}

// one call, not a Hash object per experiment (crypto.hash: Node >= 20.12; llem needs 20.19)
const sha256Hex = (text: string): string => hash('sha256', text, 'hex')

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
