/**
 * Token-length distributions for prompts and outputs: what a user writes (`128`, `{ dist: 'normal',
 * mean: 128, stdev: 32 }`) and the seeded draws a run makes from it.
 *
 * One flat object checked by a superRefine, not a union of shapes, so a missing `stdev` is reported
 * as exactly that rather than as "no union member matched". Every draw is rounded to a whole token
 * and clipped to [min, max] (min defaults to 1: a request of zero tokens measures nothing).
 */
import { z } from 'zod'
import { normal, type Rng } from './random.js'

export const lengthDistributions = ['fixed', 'uniform', 'normal', 'lognormal'] as const

const lengthObjectSchema = z
  .strictObject({
    dist: z.enum(lengthDistributions).describe('fixed, uniform (min..max, both included), normal or lognormal (mean, stdev; clipped to min..max)'),
    value: z.int().positive().optional().describe('fixed: the length'),
    min: z.int().positive().optional().describe('uniform: the smallest length; normal/lognormal: draws below are raised to it (default 1)'),
    max: z.int().positive().optional().describe('uniform: the largest length; normal/lognormal: draws above are lowered to it (default: none)'),
    mean: z.number().positive().optional().describe('normal/lognormal: the mean length before rounding and clipping'),
    stdev: z.number().min(0).optional().describe('normal/lognormal: the standard deviation of the length before rounding and clipping'),
  })
  .superRefine((v, ctx) => {
    const needs: Record<(typeof lengthDistributions)[number], readonly string[]> = { fixed: ['value'], uniform: ['min', 'max'], normal: ['mean', 'stdev'], lognormal: ['mean', 'stdev'] }
    const allowed: Record<(typeof lengthDistributions)[number], readonly string[]> = { fixed: ['value'], uniform: ['min', 'max'], normal: ['mean', 'stdev', 'min', 'max'], lognormal: ['mean', 'stdev', 'min', 'max'] }
    for (const key of needs[v.dist]) if (v[key as keyof typeof v] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `a ${v.dist} length distribution needs ${key}` })
    for (const key of ['value', 'min', 'max', 'mean', 'stdev'] as const)
      if (v[key] !== undefined && !allowed[v.dist].includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `${key} does not apply to a ${v.dist} length distribution (it takes ${allowed[v.dist].join(', ')})` })
    if (v.min !== undefined && v.max !== undefined && v.min > v.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `max (${v.max}) is below min (${v.min})` })
  })

/** A whole number is shorthand for `{ dist: 'fixed', value }`. */
export const lengthSpecSchema = z.union([z.int().positive(), lengthObjectSchema])
export type LengthSpec = z.infer<typeof lengthSpecSchema>
export type LengthDistribution = z.infer<typeof lengthObjectSchema>

/** The long form, as recorded in results: `128` becomes `{ dist: 'fixed', value: 128 }`. */
export function normaliseLengthSpec(spec: LengthSpec): LengthDistribution {
  return typeof spec === 'number' ? { dist: 'fixed', value: spec } : spec
}

/**
 * A draw function for the spec. Lognormal's mean and stdev are those of the length itself (what a
 * user reads off a dataset's histogram), turned into the underlying normal's parameters:
 * sigma^2 = ln(1 + stdev^2 / mean^2), mu = ln(mean) - sigma^2 / 2.
 */
export function lengthSampler(spec: LengthSpec, rng: Rng): () => number {
  const d = normaliseLengthSpec(spec)
  if (d.dist === 'fixed') return () => d.value!
  if (d.dist === 'uniform') {
    const lo = d.min!
    const span = d.max! - lo + 1
    return () => lo + Math.floor(rng() * span)
  }
  const clip = (x: number) => Math.min(d.max ?? Infinity, Math.max(d.min ?? 1, Math.round(x)))
  const mean = d.mean!
  const stdev = d.stdev!
  if (d.dist === 'normal') return () => clip(mean + stdev * normal(rng))
  const sigma2 = Math.log(1 + (stdev * stdev) / (mean * mean))
  const mu = Math.log(mean) - sigma2 / 2
  const sigma = Math.sqrt(sigma2)
  return () => clip(Math.exp(mu + sigma * normal(rng)))
}
