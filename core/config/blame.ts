/**
 * Who set a value an experiment is refused for. A bench's file:line is the right place only when the
 * bench (or its describe, sweep or llem's default) set it; a value from the command line, an
 * LLEM_ variable or the config file is named as such, so the user fixes the flag, not the bench.
 */
import type { ProvenanceEntry } from './layers.js'

/** the source of a dotted path, or null when it is the bench's own (its file:line then says where) */
export type Blame = (path: string) => string | null

/** a probe named by a path or package (`./meters/x.ts`) is no dotted segment: `probes["./meters/x.ts"]` */
function shown(key: string): string {
  const m = /^probes\.(.*[./@].*)$/.exec(key)
  return m ? `probes[${JSON.stringify(m[1])}]` : key
}

export function setBy(p: ProvenanceEntry | undefined, key: string): string | null {
  if (!p) return null
  if (p.source === 'config') return `${p.source_detail}: ${shown(key)}`
  if (p.source === 'cli') return `command line ${p.source_detail.startsWith('--') ? p.source_detail : `--${key}`}`
  if (p.source === 'env') return `environment ${/^LLEM_\w+$/.test(p.source_detail) ? p.source_detail : `LLEM_${key.replace(/\./g, '__').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`}`
  return null
}

/** A Blame over an experiment's provenance: the path's own entry, or the nearest section above it
 *  that one layer set whole (`--probes nvmll` sets `probes`, an issue is at `probes.nvmll`). */
export function blameFrom(lookup: (key: string) => ProvenanceEntry | undefined): Blame {
  return (path) => {
    for (let key = path; ; key = key.slice(0, key.lastIndexOf('.'))) {
      const p = lookup(key)
      if (p?.source === 'sweep') {
        // a sweep point's value was written where the sweep was: `--sweep`, LLEM_SWEEP, the config's
        // sweep record (a bench's own sweep is the bench). The first step of a capacity sweep or SLO
        // search is also the 'sweep' layer's, but no key of the sweep record: that stays the bench's
        const sweep = lookup('sweep')
        if (sweep && typeof sweep.value === 'object' && sweep.value !== null && Object.hasOwn(sweep.value, key)) return setBy(sweep, `sweep[${JSON.stringify(key)}]`)
      }
      if (p) return setBy(p, key)
      if (!key.includes('.')) return null
    }
  }
}

/** Where a refused value was set: the flag, variable or config entry, then the bench it reached; else the bench. */
export function placeOf(blame: Blame, key: string, where: string): string {
  const by = blame(key)
  return by ? `${by} (for ${where})` : where
}
