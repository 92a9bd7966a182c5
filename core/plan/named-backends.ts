/**
 * The backend names a plan can use, read from its layers before planning, so `llem list` and
 * `--dry-run` import only those backends (each built-in one imports its own client libraries).
 * null: a name this scan cannot see (a non-string name): the caller loads every built-in backend.
 */
import type { CollectedBench } from '../api/collector.js'

export function namedBackends(benches: CollectedBench[], layers: Record<string, unknown>[]): Set<string> | null {
  const names = new Set<string>()
  let unknown = false
  const add = (v: unknown) => {
    if (typeof v === 'string') names.add(v)
    else if (v && typeof v === 'object' && !Array.isArray(v) && 'name' in v) {
      if (typeof (v as { name: unknown }).name === 'string') names.add((v as { name: string }).name)
      else unknown = true
    } else if (v !== undefined && v !== null && !(typeof v === 'object' && !Array.isArray(v))) unknown = true
  }
  const scan = (values: unknown) => {
    if (!values || typeof values !== 'object') return
    const o = values as Record<string, unknown>
    add(o.backend)
    // a sweep may name the backends itself: { backend: [...] } or { 'backend.name': [...] }
    const sweep = o.sweep as Record<string, unknown> | undefined
    if (sweep && typeof sweep === 'object')
      for (const [k, list] of Object.entries(sweep)) {
        if (k !== 'backend' && k !== 'backend.name') continue
        if (Array.isArray(list)) list.forEach(add)
        else unknown = true
      }
  }
  for (const l of layers) scan(l)
  for (const b of benches) {
    scan(b.options)
    for (const s of b.suites) scan(s.options)
  }
  return unknown ? null : names
}
