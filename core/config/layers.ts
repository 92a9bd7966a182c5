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
  /** per dotted path, a more precise detail (e.g. the env var or flag that set that key). A layer
   *  with details was built from those dotted paths one by one (sweep point, env, flags): see replacesWhole */
  details?: Record<string, string>
  /** the layer's `probes` record came from a list given beside dotted probe flags (`--probes rapl
   *  --probes.rapl.root /x`): it is the whole set, as the list alone is */
  probesFromList?: boolean
}

export interface ProvenanceEntry {
  value: unknown
  source: LayerSource
  source_detail: string
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
}

/** A key path is a leaf for merging and provenance when its value is not a plain object, or the key
 *  holds one opaque value (model, sweep), or it names one probe's options (probes.rapl). */
function isLeaf(path: string[], value: unknown): boolean {
  return !isPlainObject(value) || (path.length === 1 && ATOMIC_KEYS.has(path[0])) || (path.length === 2 && path[0] === 'probes')
}

const DATASET_SOURCES = ['prompts', 'file', 'synthetic']

/**
 * When a higher layer's object replaces the lower one instead of merging into it: a backend with a
 * different name is a different backend; a dataset naming a source is a different dataset. Without
 * those (`--backend.threads 2`, `--dataset.n 5`, a sweep over `backend.threads`) it refines the lower one.
 * A layer built from dotted paths names the backend or the source only where one of its paths stops
 * there (`--backend.name`, a sweep over `dataset.synthetic`); a deeper path such as
 * `dataset.synthetic.prefix.count` passes through them to set one field of the lower layer's source.
 */
function replacesWhole(path: string[], value: Record<string, unknown>, existing: unknown, setPaths: Set<string> | null, probesFromList = false): boolean {
  if (path.length !== 1 || !isPlainObject(existing)) return false
  const names = (k: string) => k in value && (!setPaths || setPaths.has(path[0]) || setPaths.has(`${path[0]}.${k}`))
  if (path[0] === 'backend') return names('name') && typeof value.name === 'string' && value.name !== existing.name
  // a source named whole replaces the dataset; one named by a deeper path (`--dataset.synthetic.inputTokens
  // 5`) replaces a dataset of another source (prompts), and refines one of its own
  const below = (k: string) => !!setPaths && [...setPaths].some((p) => p.startsWith(`${path[0]}.${k}.`))
  if (path[0] === 'dataset') return DATASET_SOURCES.some((k) => names(k) || (k in value && !(k in existing) && below(k)))
  // a probe list given beside dotted probe flags (`--probes rapl --probes.rapl.root /x`) is still the
  // whole set, as the list alone would be; a probes object (`--probes '{"nvml":false}'`) refines
  if (path[0] === 'probes') return probesFromList
  return false
}

export interface MergedOptions {
  values: Record<string, unknown>
  provenance: Record<string, ProvenanceEntry>
}

/**
 * `below`: layers already merged (the same result as listing them first), for a plan that merges one
 * bench's fixed layers once and only the sweep point, env and flags per point. `below` is never
 * changed: an object of it that a layer writes into is copied first (copy on write), and the result
 * shares the rest with it, so the result's values are for reading (validation copies them). Its
 * provenance entries are shared too (entries are replaced, never edited in place).
 */
export function mergeLayers(layers: OptionLayer[], below?: MergedOptions): MergedOptions {
  const values: Record<string, unknown> = below ? { ...below.values } : {}
  // a Map while merging: a replaced leaf is deleted and set again (it moves to the end, as on an
  // object), and deleting from an object turns it into a slow dictionary that every sweep point then
  // copied; the object built at the end from the Map has the same keys in the same order
  const provenance = new Map<string, ProvenanceEntry>(below ? Object.entries(below.provenance) : [])
  const shared = below ? sharedObjects(below) : null
  for (const layer of layers) apply(values, layer.values, [], layer, provenance, shared)
  return { values, provenance: Object.fromEntries(provenance) }
}

/**
 * mergeLayers for one sweep point: the same values, and the same provenance, kept as the few entries
 * the point's layers changed over `below`'s, made whole only when asked (`provenance.whole()`). A
 * plan of 10,000 points copied below's ~150 entries twice per point (a third of `llem list`'s time),
 * and listing or checking the plan reads two of them.
 */
export function mergePointLayers(layers: OptionLayer[], below: MergedOptions): { values: Record<string, unknown>; provenance: ProvenanceOverlay } {
  const values: Record<string, unknown> = { ...below.values }
  const provenance = new ProvenanceOverlay(below.provenance)
  const shared = sharedObjects(below)
  for (const layer of layers) apply(values, layer.values, [], layer, provenance, shared)
  return { values, provenance }
}

/** what apply() needs of the provenance it writes: a Map's delete, set and keys */
interface ProvenanceWriter {
  delete(key: string): unknown
  set(key: string, entry: ProvenanceEntry): unknown
  get(key: string): ProvenanceEntry | undefined
  keys(): Iterable<string>
}

const DELETED = null
type Change = { entry: ProvenanceEntry; appended: boolean } | typeof DELETED

/**
 * A provenance record as changes over a base record that is never changed, with a Map's order: a key
 * deleted and set again moves to the end, a key set in place keeps its place, so whole() has the keys
 * in the order mergeLayers' Map would have given them.
 */
export class ProvenanceOverlay implements ProvenanceWriter {
  private readonly changes = new Map<string, Change>()
  private made: Record<string, ProvenanceEntry> | null = null

  constructor(private readonly base: Record<string, ProvenanceEntry>) {}

  get(key: string): ProvenanceEntry | undefined {
    const c = this.changes.get(key)
    if (c !== undefined) return c === DELETED ? undefined : c.entry
    return Object.hasOwn(this.base, key) ? this.base[key] : undefined
  }

  delete(key: string): void {
    this.made = null
    this.changes.delete(key)
    this.changes.set(key, DELETED)
  }

  set(key: string, entry: ProvenanceEntry): void {
    this.made = null
    const c = this.changes.get(key)
    if (c === DELETED) {
      this.changes.delete(key)
      this.changes.set(key, { entry, appended: true })
    } else if (c !== undefined) this.changes.set(key, { entry, appended: c.appended })
    else this.changes.set(key, { entry, appended: !Object.hasOwn(this.base, key) })
  }

  /** the keys there are now (a copy: the caller may delete while it goes through them) */
  keys(): string[] {
    const out = Object.keys(this.base).filter((k) => !this.changes.has(k))
    for (const [k, c] of this.changes) if (c !== DELETED && (c.appended || Object.hasOwn(this.base, k))) out.push(k)
    return out
  }

  /** the whole record (made once until changed again; read it, do not change it) */
  whole(): Record<string, ProvenanceEntry> {
    if (this.made) return this.made
    const out: Record<string, ProvenanceEntry> = {}
    for (const k of Object.keys(this.base)) {
      const c = this.changes.get(k)
      if (c === undefined) out[k] = this.base[k]
      else if (c !== DELETED && !c.appended) out[k] = c.entry
    }
    for (const [k, c] of this.changes) if (c !== DELETED && c.appended) out[k] = c.entry
    return (this.made = out)
  }
}

const sharedOf = new WeakMap<MergedOptions, WeakSet<object>>()
/** The plain objects of a merged tree that a later merge must copy before writing into (once per tree). */
function sharedObjects(below: MergedOptions): WeakSet<object> {
  let set = sharedOf.get(below)
  if (!set) {
    sharedOf.set(below, (set = new WeakSet()))
    collectObjects(below.values, set)
  }
  return set
}
function collectObjects(obj: Record<string, unknown>, into: WeakSet<object>): void {
  into.add(obj)
  for (const v of Object.values(obj)) if (isPlainObject(v)) collectObjects(v, into)
}

// numbers, strings, booleans and null need no copy (most leaves): structuredClone is the costly part
// of a merge when a plan merges thousands of sweep points
const copy = (v: unknown) => (typeof v === 'object' && v !== null ? structuredClone(v) : v)

// the dotted paths a layer's details name, once per details object (a sweep's points share theirs)
const pathsOf = new WeakMap<Record<string, string>, Set<string>>()
function detailPaths(details: Record<string, string>): Set<string> {
  let paths = pathsOf.get(details)
  if (!paths) pathsOf.set(details, (paths = new Set(Object.keys(details))))
  return paths
}

function apply(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string[],
  layer: OptionLayer,
  provenance: ProvenanceWriter,
  shared: WeakSet<object> | null = null,
): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue
    const p = [...path, key]
    const dotted = p.join('.')
    const dropOld = () => {
      // a replaced subtree loses the provenance of its old leaves; only a subtree that was merged
      // into (a plain object here) can have leaves below this path
      provenance.delete(dotted)
      if (!isPlainObject(target[key])) return
      const below = dotted + '.'
      for (const k of provenance.keys()) if (k.startsWith(below)) provenance.delete(k)
    }
    if (isLeaf(p, value)) {
      dropOld()
      target[key] = copy(value)
      provenance.set(dotted, { value: target[key], source: layer.source, source_detail: layer.details?.[dotted] ?? layer.detail })
    } else {
      const obj = value as Record<string, unknown>
      if (key === 'probes' && path.length === 0 && Array.isArray(target[key])) {
        // `probes: ['rapl']` below, `--probes.rapl.root x` above: refine the listed set; each listed
        // probe stays the lower layer's (a missing module in the config's list is the config's to fix)
        const listed = provenance.get(dotted)
        dropOld()
        target[key] = Object.fromEntries((target[key] as string[]).map((n) => [n, {}]))
        for (const n of Object.keys(target[key] as object))
          provenance.set(`probes.${n}`, { value: {}, source: listed?.source ?? layer.source, source_detail: listed?.source_detail ?? 'from the list in a lower layer' })
      }
      if (!isPlainObject(target[key]) || replacesWhole(p, obj, target[key], layer.details ? detailPaths(layer.details) : null, layer.probesFromList)) {
        dropOld()
        target[key] = {}
      }
      if (shared?.has(target[key] as object)) target[key] = { ...(target[key] as Record<string, unknown>) }
      apply(target[key] as Record<string, unknown>, obj, p, layer, provenance, shared)
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
