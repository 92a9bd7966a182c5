/**
 * parse -> normalise, with messages that name the file and the dotted path:
 *   llem.config.ts: unknown key "measurment" (did you mean "measurement"?)
 *   benchmarks/a.bench.ts: bench("x"): load.concurrency: expected number, got string ("4")
 */
import type { z } from 'zod'
import { InputError, type ErrorCode } from '../errors.js'
import { placeOf } from './blame.js'
import { isPlainObject } from './layers.js'
import { closest } from './suggest.js'
import { maxOf } from '../stats/extent.js'
import { knownKeysAt } from './zod-walk.js'

export interface ValidationSite {
  /** the file the options came from */
  file: string
  /** what inside it, e.g. 'bench("greedy")', '--measurement.warmup.maxRequests' */
  label?: string
  /** a dotted prefix when the validated value sits inside a larger object (e.g. 'backend') */
  prefix?: string
  code?: ErrorCode
  /** who set the value at a dotted path, when not the file (config/blame.ts): then named first */
  blame?: (path: string) => string | null
}

/**
 * JS values that JSON cannot carry, turned into their written form before validation. Reporters are
 * left as written: their options are theirs (passed through untouched, or to their own schema).
 */
export function preprocess(value: unknown): unknown {
  if (value === Infinity) return 'inf'
  if (Array.isArray(value)) return value.map(preprocess)
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'reporters' ? v : preprocess(v)]))
  return value
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  const t = typeof v
  if (t === 'string') return `string (${JSON.stringify((v as string).length > 40 ? (v as string).slice(0, 40) + '…' : v)})`
  if (t === 'number' || t === 'boolean') return `${t} (${String(v)})`
  return t
}

export function formatIssues(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[], prefix?: string): string[] {
  const lines: string[] = []
  const at = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.')
  for (const issue of issues) {
    const path = issue.path as (string | number)[]
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path)
      for (const key of issue.keys) {
        const guess = closest(key, known)
        const where = at([...path, key])
        lines.push(`unknown key "${where}"` + (guess ? ` (did you mean "${[...path, guess].join('.')}"?)` : known.length ? ` (valid keys here: ${known.join(', ')})` : ''))
      }
    } else if (issue.code === 'invalid_type') {
      const got = valueAt(input, path)
      lines.push(`${at(path) || '(root)'}: expected ${issue.expected}, got ${got === undefined ? 'nothing' : describeValue(got)}`)
    } else if (issue.code === 'invalid_union') {
      // a union failing is best explained by the branch that got furthest
      const branches = (issue as unknown as { errors: z.core.$ZodIssue[][] }).errors ?? []
      const best = branches.slice().sort((a, b) => deepest(b) - deepest(a))[0]
      const got = valueAt(input, path)
      if (best && best.length && deepest(best) > 0) lines.push(...formatIssues(schema, input, best.map((i) => ({ ...i, path: [...path, ...i.path] })), prefix))
      else lines.push(`${at(path) || '(root)'}: ${got === undefined ? 'missing' : `${describeValue(got)} is not valid here`}`)
    } else {
      lines.push(`${at(path) || '(root)'}: ${issue.message}`)
    }
  }
  return [...new Set(lines)]
}

/** The value at an issue's path, step by step: a key may hold dots itself (sweep: { 'load.concurrency': 3 }). */
function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let v = input
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined
  return v
}

function deepest(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, maxOf(issues.map((i) => i.path.length + (i.code === 'unrecognized_keys' ? 1 : 0))))
}

export function validateOptions<S extends z.ZodType>(schema: S, raw: unknown, site: ValidationSite): z.infer<S> {
  const input = preprocess(raw)
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const lines = formatIssues(schema, input, result.error.issues, site.prefix)
  const place = [site.file, site.label].filter(Boolean).join(': ')
  // a flag, variable or config entry that set it is what to fix: named first, the bench it reached after
  const head = site.blame ? placeOf(site.blame, [site.prefix, ...result.error.issues[0].path.map(String)].filter(Boolean).join('.'), place) : place
  const message = lines.length === 1 ? `${head}: ${lines[0]}` : `${head}:\n${lines.map((l) => `  - ${l}`).join('\n')}`
  throw new InputError(site.code ?? 'CONFIG_INVALID', message, { file: site.file, where: lines[0] })
}
