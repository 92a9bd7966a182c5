/**
 * The schema of a token-length spec (lengths.ts has the draws). Apart from them so that the experiment
 * worker, which draws lengths from specs the main process already checked, never loads zod.
 *
 * One flat object checked by a superRefine, not a union of shapes, so a missing `stdev` is reported
 * as exactly that rather than as "no union member matched".
 */
import { z } from 'zod'
import { lengthDistributions } from './lengths.js'

export const lengthObjectSchema = z
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
