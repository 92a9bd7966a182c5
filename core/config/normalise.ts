/**
 * Written forms -> one normal form, before layers are merged: `backend: 'x'` -> `{ name: 'x' }`,
 * `probes: { rapl: true }` -> `{ rapl: {} }`. After merging, `probesRecord` turns a list into a record.
 */
import { isPlainObject } from './layers.js'

export function normaliseOptions(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values }
  if (typeof out.backend === 'string') out.backend = { name: out.backend }
  // a probes list stays a list until the layers are merged: a list in a layer means exactly that set
  if (isPlainObject(out.probes))
    out.probes = Object.fromEntries(Object.entries(out.probes).map(([k, v]) => [k, v === true ? {} : v]))
  return out
}

/** `['rapl']` -> `{ rapl: {} }`; a record passes through. Applied to the merged options. */
export function probesRecord(probes: unknown): Record<string, false | Record<string, unknown>> {
  if (Array.isArray(probes)) return Object.fromEntries(probes.map((name: string) => [name, {}]))
  return (probes ?? {}) as Record<string, false | Record<string, unknown>>
}
