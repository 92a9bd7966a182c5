/**
 * Token-length distributions for prompts and outputs: what a user writes (`128`, `{ dist: 'normal',
 * mean: 128, stdev: 32 }`) and the seeded draws a run makes from it (its schema: lengths-schema.ts).
 * Every draw is rounded to a whole token and clipped to [min, max] (min defaults to 1: a request of
 * zero tokens measures nothing).
 */
import type { z } from 'zod'
import { normal, type Rng } from './random.js'
import type { lengthObjectSchema, lengthSpecSchema } from './lengths-schema.js'

export const lengthDistributions = ['fixed', 'uniform', 'normal', 'lognormal'] as const

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
