/**
 * Which configuration keys tell the experiments of a run apart: the sweep parameters first, then any
 * other key set differently from one experiment to the next (two benches with different maxTokens).
 * A results table needs exactly these as columns; a key with one value everywhere would only repeat
 * it on every row. Shared by the tabular reporters (parquet, html) so they agree on what varies.
 */
import type { AggregatedResult } from 'llem/plugin'

export type ConfigValue = string | number | boolean | null

/**
 * Nested plain objects become dotted keys. Arrays and other non-scalars become their JSON text, so a
 * list (the probes) is still one comparable cell rather than vanishing.
 */
export function flattenConfig(config: Record<string, unknown>): Record<string, ConfigValue> {
  const flat: Record<string, ConfigValue> = {}
  const walk = (value: unknown, key: string): void => {
    if (value === undefined) return
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') flat[key] = value
    else if (typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, key ? `${key}.${k}` : k)
    else flat[key] = JSON.stringify(value) ?? null
  }
  walk(config, '')
  return flat
}

export interface VaryingConfig {
  /** sweep keys in the order the sweeps declared them, then the other varying keys sorted */
  keys: string[]
  /** one record per result, same order as the input: key -> value (null where the key is absent) */
  values: Array<Record<string, ConfigValue>>
}

export function varyingConfig(results: AggregatedResult[]): VaryingConfig {
  const flats = results.map((r) => {
    const flat = flattenConfig(r.effective_config)
    // a sweep key the effective config does not carry (a custom dimension) still names the point
    for (const [k, v] of Object.entries(r.sweep_point)) if (!(k in flat)) flat[k] = scalar(v)
    return flat
  })
  const sweepKeys = [...new Set(results.flatMap((r) => Object.keys(r.sweep_point)))]
  const allKeys = [...new Set(flats.flatMap((f) => Object.keys(f)))]
  const differs = (key: string) => new Set(flats.map((f) => JSON.stringify(f[key] ?? null))).size > 1
  // a sweep with one value, or a run of one experiment, still shows its sweep keys: they were asked for
  const others = allKeys.filter((k) => !sweepKeys.includes(k) && differs(k)).sort()
  const keys = [...sweepKeys, ...others]
  return { keys, values: flats.map((f) => Object.fromEntries(keys.map((k) => [k, f[k] ?? null]))) }
}

function scalar(v: unknown): ConfigValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  return JSON.stringify(v) ?? null
}
