/**
 * Merging option layers with provenance. Precedence, lowest first:
 * default < config < describe (outer to inner) < bench < sweep < env < cli.
 * Every leaf of the result remembers which layer set it, for the result's `parameter_provenance`.
 */
import { ATOMIC_KEYS } from './schema.js'

export type LayerSource = 'default' | 'config' | 'describe' | 'bench' | 'sweep' | 'env' | 'cli'

export interface OptionLayer {
  source: LayerSource
  /** where exactly: the config file path, "describe('x') at file:line", the env var, the flag */
  detail: string
  /** normalised options as written in that layer */
  values: Record<string, unknown>
  /** per dotted path, a more precise detail (e.g. the env var or flag that set that key) */
  details?: Record<string, string>
}

export interface ProvenanceEntry {
  value: unknown
  source: LayerSource
  source_detail: string
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
}

/** A key path is a leaf for merging and provenance when its value is not a plain object or the key is atomic. */
function isLeaf(path: string[], value: unknown): boolean {
  return !isPlainObject(value) || (path.length === 1 && ATOMIC_KEYS.has(path[0]))
}

export interface MergedOptions {
  values: Record<string, unknown>
  provenance: Record<string, ProvenanceEntry>
}

export function mergeLayers(layers: OptionLayer[]): MergedOptions {
  const values: Record<string, unknown> = {}
  const provenance: Record<string, ProvenanceEntry> = {}
  for (const layer of layers) apply(values, layer.values, [], layer, provenance)
  return { values, provenance }
}

function apply(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string[],
  layer: OptionLayer,
  provenance: Record<string, ProvenanceEntry>,
): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue
    const p = [...path, key]
    const dotted = p.join('.')
    if (isLeaf(p, value)) {
      target[key] = structuredClone(value)
      // a replaced subtree loses the provenance of its old leaves
      for (const k of Object.keys(provenance)) if (k.startsWith(dotted + '.')) delete provenance[k]
      provenance[dotted] = { value: target[key], source: layer.source, source_detail: layer.details?.[dotted] ?? layer.detail }
    } else {
      if (!isPlainObject(target[key])) {
        target[key] = {}
        delete provenance[dotted]
      }
      apply(target[key] as Record<string, unknown>, value as Record<string, unknown>, p, layer, provenance)
    }
  }
}

export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj
  for (const key of dotted.split('.')) {
    if (!isPlainObject(cur) && !Array.isArray(cur)) return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

/** Builds `{ a: { b: value } }` from 'a.b', for a one-key layer (sweep points, flags, env vars). */
export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.')
  let cur = obj
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(cur[key])) cur[key] = {}
    cur = cur[key] as Record<string, unknown>
  }
  cur[keys[keys.length - 1]] = value
}

/** Dotted paths of every leaf (atomic keys count as leaves). */
export function leafPaths(obj: Record<string, unknown>, path: string[] = []): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(obj)) {
    const p = [...path, key]
    if (isLeaf(p, value)) out.push(p.join('.'))
    else out.push(...leafPaths(value as Record<string, unknown>, p))
  }
  return out
}
