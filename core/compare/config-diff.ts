/**
 * What changed between two experiments' configurations, for `llem compare` when it matches them by
 * name only (their task hashes differ): each differing leaf as `dotted.key: old -> new`, so a reader
 * sees whether a delta is a regression or the result of a changed setting.
 */

type Leaves = Map<string, string>

/** Dotted paths of every leaf (scalars, and arrays as one JSON value). */
function leaves(value: unknown, prefix: string, out: Leaves): Leaves {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out)
  } else if (prefix) out.set(prefix, JSON.stringify(value ?? null))
  return out
}

/** `key: old -> new` for each leaf that differs (absent on one side: `(unset)`), sorted by key. */
export function configDiff(before: Record<string, unknown>, after: Record<string, unknown>, limit = 12): string[] {
  const a = leaves(before, '', new Map())
  const b = leaves(after, '', new Map())
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort()
  const lines = keys.slice(0, limit).map((k) => `${k}: ${a.get(k) ?? '(unset)'} -> ${b.get(k) ?? '(unset)'}`)
  if (keys.length > limit) lines.push(`… and ${keys.length - limit} more`)
  return lines
}
