/**
 * Validating the sweep points of one bench. The points' merged options share every top-level
 * section no point changes (mergeLayers copies on write): `model`, `dataset`, `measurement` are the
 * same objects at every point of a sweep over `load.*`. Zod parses each top-level section on its own
 * (experimentOptionsSchema has no refinement across sections), so a section that is the same object
 * as at the point before has the same parsed form: only the changed sections are parsed again.
 * A 10,000-point sweep parsed every section of every point (most of `llem list`'s time).
 */
import type { ResolvedExperimentOptions } from '../config/defaults.js'
import { experimentOptionsSchema } from '../config/schema.js'
import { validateOptions, type ValidationSite } from '../config/validate.js'

export class PointValidator {
  private last: { input: Record<string, unknown>; output: Record<string, unknown> } | null = null

  /** The parsed options, the same value (and key order) as validateOptions on the whole of `values`.
   *  Sections not parsed again are shared with the earlier points' configs: configs are read, never
   *  changed in place (repeats of one point already share one config). */
  validate(values: Record<string, unknown>, site: ValidationSite): ResolvedExperimentOptions {
    const last = this.last
    const keys = Object.keys(values)
    if (last === null || !sameKeys(keys, last.input)) return this.whole(values, site)
    const changed = keys.filter((k) => values[k] !== last.input[k])
    let part: Record<string, unknown>
    try {
      part = validateOptions(experimentOptionsSchema, Object.fromEntries(changed.map((k) => [k, values[k]])), site) as Record<string, unknown>
    } catch {
      // the whole object's message, exactly as without this cache (the unchanged sections were valid)
      return this.whole(values, site)
    }
    // the earlier output's key order is the schema's order of the present keys: the same keys here
    const output: Record<string, unknown> = {}
    for (const k of Object.keys(last.output)) output[k] = k in part ? part[k] : last.output[k]
    this.last = { input: values, output }
    return { ...output } as unknown as ResolvedExperimentOptions
  }

  private whole(values: Record<string, unknown>, site: ValidationSite): ResolvedExperimentOptions {
    const output = validateOptions(experimentOptionsSchema, values, site) as Record<string, unknown>
    this.last = { input: values, output: { ...output } }
    return output as unknown as ResolvedExperimentOptions
  }
}

function sameKeys(keys: string[], other: Record<string, unknown>): boolean {
  const theirs = Object.keys(other)
  return theirs.length === keys.length && keys.every((k, i) => theirs[i] === k)
}
