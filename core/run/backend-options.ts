/**
 * An experiment's backend options as its backend's schema parses them (defaults and transforms
 * applied), computed in the main process and sent with the task: the experiment worker runs the
 * backend without loading zod to parse them again (core/plugins/lazy-schema.ts). The points of a
 * sweep share one backend section: parsed once.
 */
import type { Backend } from '../backends/types.js'
import type { Experiment } from '../plan/plan.js'

export function backendOptionsParser(backends: Record<string, Backend>): (x: Experiment) => Record<string, unknown> | undefined {
  const parsed = new WeakMap<object, Record<string, unknown> | undefined>()
  return (x) => {
    const section = x.config.backend
    if (!section) return undefined
    if (parsed.has(section)) return parsed.get(section)
    const backend = backends[section.name]
    const { name: _name, ...raw } = section
    let out: Record<string, unknown> | undefined
    try {
      out = backend ? ((backend.options ? backend.options.parse(raw) : raw) as Record<string, unknown>) : undefined
    } catch {
      // checked when the run was resolved, so this does not happen; if it did, the worker parses them
      // again and records the failure in the result
      out = undefined
    }
    // sent as JSON (IPC, a Slurm task file): a schema that parses into something else (a Date, a Map,
    // a function) leaves the parsing to the worker, which gets the options as written
    if (out !== undefined && !jsonSafe(out)) out = undefined
    parsed.set(section, out)
    return out
  }
}

/** Whether the value is plain JSON data that a JSON round trip gives back the same. */
function jsonSafe(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (Array.isArray(v)) return v.every(jsonSafe)
  if (typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return false
  return Object.values(v as Record<string, unknown>).every(jsonSafe)
}
