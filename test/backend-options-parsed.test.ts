/**
 * The backend options the main process sends with each experiment (SessionTask.backendOptions), so
 * that the worker runs the backend without parsing them: parsed by the backend's schema (defaults
 * filled in), once per backend section a sweep's points share, and left to the worker when the
 * parsed value would not survive the JSON the task travels as.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Backend } from '../core/backends/types.js'
import type { Experiment } from '../core/plan/plan.js'
import { backendOptionsParser } from '../core/run/backend-options.js'

const experiment = (backend: Record<string, unknown> | null) => ({ config: { backend } }) as unknown as Experiment

describe('backend options parsed in the main process', () => {
  it('are the schema\'s output, parsed once per shared section', () => {
    let parses = 0
    const options = z.strictObject({ threads: z.int().default(4), label: z.string().optional() }).transform((o) => {
      parses++
      return o
    })
    const backends = { b: { name: 'b', options, start: async () => ({}) } as unknown as Backend }
    const parse = backendOptionsParser(backends)
    const shared = { name: 'b', label: 'x' }
    expect(parse(experiment(shared))).toEqual({ threads: 4, label: 'x' })
    expect(parse(experiment(shared))).toEqual({ threads: 4, label: 'x' })
    expect(parses).toBe(1)
    expect(parse(experiment({ name: 'b', threads: 2 }))).toEqual({ threads: 2 })
    expect(parses).toBe(2)
  })

  it('are the options as written for a backend without a schema', () => {
    const parse = backendOptionsParser({ b: { name: 'b', start: async () => ({}) } as unknown as Backend })
    expect(parse(experiment({ name: 'b' }))).toEqual({})
  })

  it('are left to the worker when not plain JSON, or the backend is not loaded', () => {
    const options = z.strictObject({ at: z.string().transform((s) => new Date(s)) })
    const parse = backendOptionsParser({ b: { name: 'b', options, start: async () => ({}) } as unknown as Backend })
    expect(parse(experiment({ name: 'b', at: '2026-01-01' }))).toBeUndefined()
    expect(parse(experiment({ name: 'elsewhere' }))).toBeUndefined()
    expect(parse(experiment(null))).toBeUndefined()
  })
})
