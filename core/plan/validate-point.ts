/**
 * Validating the experiments of a plan. Their merged options share every top-level section that no
 * layer above llem's defaults and the config file changes (mergeLayers copies on write): `model`,
 * `dataset`, `measurement` are the same objects at every point of a sweep over `load.*`, and a
 * section no bench sets is one object in every bench. Zod parses each top-level section on its own
 * (experimentOptionsSchema has no refinement across sections), so a section object parsed once has
 * that parsed form wherever it appears again: only sections not seen before are parsed.
 * A 10,000-point sweep parsed every section of every point (most of `llem list`'s time), and a
 * project of many bench files parsed the same default sections once per bench.
 *
 * A point's changed sections are new objects, but few distinct values: a 100 x 100 sweep over
 * `load.seed` and `generation.maxTokens` has 100 `load` sections and 100 `generation` sections in
 * its 10,000 points. So a section is also looked up by its JSON text, when it is plain JSON (no
 * Infinity, undefined, function or class instance, whose text would not say what they are), and a
 * section of the same text takes the same parsed form. Sharing it also lets the task hash's memo
 * (task-hash.ts) reuse the section's canonical text.
 */
import type { ResolvedExperimentOptions } from '../config/defaults.js'
import { experimentOptionsSchema } from '../config/schema.js'
import { validateOptions, type ValidationSite } from '../config/validate.js'

export class PointValidator {
  /** a section's value as merged (an object, read-only once merged) -> its parsed form */
  private parsed = new WeakMap<object, unknown>()
  /** a section's name and JSON text -> its parsed form (plain JSON sections only; bounded) */
  private byText = new Map<string, unknown>()
  /** by the input's keys: the output's key order (the schema's), and what the schema filled in for
   *  keys the input lacks (defaults, the same whatever the other sections hold) */
  private shapes = new Map<string, { order: string[]; filled: Record<string, unknown> }>()

  /** The parsed options, the same value (and key order) as validateOptions on the whole of `values`.
   *  Sections not parsed again are shared with earlier experiments' configs: configs are read, never
   *  changed in place (repeats of one point already share one config). */
  validate(values: Record<string, unknown>, site: ValidationSite): ResolvedExperimentOptions {
    const keys = Object.keys(values)
    const shape = this.shapes.get(keys.join('\0'))
    if (shape === undefined) return this.whole(values, site, keys)
    const fresh = keys.filter((k) => !this.known(k, values[k]))
    let part: Record<string, unknown> = {}
    if (fresh.length > 0) {
      try {
        part = validateOptions(experimentOptionsSchema, Object.fromEntries(fresh.map((k) => [k, values[k]])), site) as Record<string, unknown>
      } catch {
        // the whole object's message, exactly as without this cache (the other sections were valid)
        return this.whole(values, site, keys)
      }
      this.remember(values, part, fresh)
    }
    const output: Record<string, unknown> = {}
    for (const k of shape.order) output[k] = k in part ? part[k] : k in values ? this.parsedOf(k, values[k]) : shape.filled[k]
    return output as unknown as ResolvedExperimentOptions
  }

  private whole(values: Record<string, unknown>, site: ValidationSite, keys: string[]): ResolvedExperimentOptions {
    const output = validateOptions(experimentOptionsSchema, values, site) as Record<string, unknown>
    const filled = Object.fromEntries(Object.entries(output).filter(([k]) => !(k in values)))
    this.shapes.set(keys.join('\0'), { order: Object.keys(output), filled })
    this.remember(values, output, keys)
    return { ...output } as unknown as ResolvedExperimentOptions
  }

  private remember(values: Record<string, unknown>, output: Record<string, unknown>, keys: string[]): void {
    for (const k of keys) {
      const v = values[k]
      if (!(k in output)) continue
      if (!isObject(v)) {
        const at = scalarKey(k, v)
        if (at !== null && this.byText.size < MAX_TEXTS) this.byText.set(at, output[k])
        continue
      }
      this.parsed.set(v, output[k])
      const text = jsonText(v)
      if (text !== null && this.byText.size < MAX_TEXTS) this.byText.set(`${k}\0${text}`, output[k])
    }
  }

  private parsedOf(key: string, value: unknown): unknown {
    return isObject(value) ? this.parsed.get(value) : this.byText.get(scalarKey(key, value)!)
  }

  /** parsed already: this object, or (then remembered by identity too) an equal plain-JSON value, or
   *  this same number, string, boolean or null under this key */
  private known(key: string, value: unknown): boolean {
    if (!isObject(value)) {
      const at = scalarKey(key, value)
      return at !== null && this.byText.has(at)
    }
    if (this.parsed.has(value)) return true
    const text = jsonText(value)
    if (text === null) return false
    const hit = this.byText.get(`${key}\0${text}`)
    if (hit === undefined) return false
    this.parsed.set(value, hit)
    return true
  }
}

const MAX_TEXTS = 100_000

/**
 * One object per distinct value of the sections a bench's sweep points change. A point's merged
 * options are below's (shared) with the sections its own layer writes into copied and changed; such
 * a section depends on nothing but that layer's section (the layers under it and the environment and
 * flags over it are the same at every point of the bench), so a point whose layer has a section of
 * the same JSON text as an earlier point's gets that point's merged section, equal to its own. The
 * validator then knows it by identity: a 100 x 100 sweep wrote and looked up the text of its two
 * changed sections at each of its 10,000 points, where 200 distinct sections exist.
 * One per bench (other benches have other layers below); merged values are read, never changed.
 */
export class SectionInterner {
  private seen = new Map<string, unknown>()

  /** `layer`: the point's own layer (normalised); `merged`: its merged options, changed in place */
  intern(layer: Record<string, unknown>, merged: Record<string, unknown>): void {
    for (const k of Object.keys(layer)) {
      const v = layer[k]
      // a top-level scalar needs no copy, and the validator keys it by its value already
      if (!isObject(v) || merged[k] === undefined) continue
      const text = jsonText(v)
      if (text === null) continue
      const key = `${k}\0${text}`
      const hit = this.seen.get(key)
      if (hit !== undefined) merged[k] = hit
      else if (this.seen.size < MAX_SECTIONS) this.seen.set(key, merged[k])
    }
  }
}

// a sweep of more distinct sections than this keeps the rest unshared (each is then validated by its
// text, as before): one that many distinct values is a zip or one-value-per-point sweep, where no
// later point repeats a section and holding them would only keep their merged copies alive
const MAX_SECTIONS = 4_096

/** The JSON text of a value that JSON says exactly (objects, arrays, strings, finite numbers, booleans,
 *  null); null for anything else, which is then parsed on its own. Checked by a walk first, then
 *  written natively: a replacer function called per value cost more than the text itself. */
function jsonText(value: object): string | null {
  return plainJson(value) ? JSON.stringify(value) : null
}

function plainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (typeof v !== 'object') return false
  if (Array.isArray(v)) {
    for (const x of v) if (!plainJson(x)) return false
    return Object.getPrototypeOf(v) === Array.prototype && typeof (v as { toJSON?: unknown }).toJSON !== 'function'
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || typeof (v as { toJSON?: unknown }).toJSON === 'function') return false
  for (const k in v) if (!plainJson((v as Record<string, unknown>)[k])) return false
  return true
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null

/** a top-level scalar (repeat, sweepMode) by its key, type and value: parsed (or written, list --json)
 *  once, like a section of the same text (-0 and 0 alike is fine: no option tells them apart); null
 *  for others (undefined, a function, a bigint), which are handled every time */
export function scalarKey(key: string, v: unknown): string | null {
  const t = typeof v
  if (v === null || t === 'number' || t === 'string' || t === 'boolean') return `${key}\0${t}\0${String(v)}`
  return null
}
