/**
 * Written forms -> one normal form, before layers are merged: `backend: 'x'` -> `{ name: 'x' }`,
 * `probes: ['rapl']` -> `{ rapl: {} }`. After this, a higher layer's value can be merged key by key.
 */
import { isPlainObject } from './layers.js'

export function normaliseOptions(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values }
  if (typeof out.backend === 'string') out.backend = { name: out.backend }
  if (Array.isArray(out.probes)) out.probes = Object.fromEntries(out.probes.map((name) => [name, {}]))
  else if (isPlainObject(out.probes))
    out.probes = Object.fromEntries(Object.entries(out.probes).map(([k, v]) => [k, v === true ? {} : v]))
  return out
}
