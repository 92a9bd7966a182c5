/**
 * Sweeps: `{ 'load.concurrency': [1, 2, 4], 'generation.maxTokens': [32, 64] }` -> one point per
 * combination (grid, in key order, last key fastest) or per index (zip, equal lengths required).
 */
import { redactSecrets } from '../results/redact.js'

export type SweepPoint = Record<string, unknown>

export function expandSweep(sweep: Record<string, unknown[]>, mode: 'grid' | 'zip'): SweepPoint[] | { error: string } {
  const keys = Object.keys(sweep)
  if (keys.length === 0) return [{}]
  if (mode === 'zip') {
    const lengths = keys.map((k) => sweep[k].length)
    if (new Set(lengths).size > 1)
      return { error: `sweepMode "zip" needs lists of one length; got ${keys.map((k, i) => `${k}: ${lengths[i]}`).join(', ')}` }
    return Array.from({ length: lengths[0] }, (_, i) => Object.fromEntries(keys.map((k) => [k, sweep[k][i]])))
  }
  let points: SweepPoint[] = [{}]
  for (const key of keys) points = points.flatMap((p) => sweep[key].map((v) => ({ ...p, [key]: v })))
  return points
}

/**
 * A point's values as they may be shown: a secret swept over (`backend.extraBody.api_key`, a URL with
 * a password in it) is masked, because the point's text names the experiment and makes its id, and
 * an id names files and is never masked itself. Numbers, booleans and null are never secrets.
 */
export function shownPoint(point: SweepPoint): SweepPoint {
  for (const k in point) {
    const v = point[k]
    if (v !== null && typeof v !== 'number' && typeof v !== 'boolean') return redactSecrets(point)
  }
  return point
}

export function formatPoint(point: SweepPoint): string {
  const parts = Object.entries(shownPoint(point)).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
  return parts.length ? `[${parts.join(', ')}]` : ''
}
