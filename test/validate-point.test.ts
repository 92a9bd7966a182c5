import { describe, expect, it } from 'vitest'
import { experimentOptionsSchema } from '../core/config/schema.js'
import { validateOptions } from '../core/config/validate.js'
import { PointValidator } from '../core/plan/validate-point.js'

const site = { file: 'b.bench.ts', label: 'bench("x")', code: 'BENCH_INVALID' as const }
const model = { random: 'llama-1m' }
const dataset = { prompts: ['Hi'] }
const point = (maxTokens: unknown) => ({ backend: { name: 'llama-cpp' }, model, dataset, generation: { maxTokens }, sweep: { 'generation.maxTokens': [1, 2] } })

describe('PointValidator: sections shared by the points are parsed once', () => {
  it('gives the same value and key order as validating the whole point', () => {
    const v = new PointValidator()
    for (const n of [1, 2, 3]) {
      const got = v.validate(point(n), site)
      expect(JSON.stringify(got)).toBe(JSON.stringify(validateOptions(experimentOptionsSchema, point(n), site)))
    }
  })
  it('a bad value at a later point is the whole point\'s message', () => {
    const v = new PointValidator()
    v.validate(point(1), site)
    let whole = ''
    try { validateOptions(experimentOptionsSchema, point(-1), site) } catch (e) { whole = (e as Error).message }
    expect(whole).not.toBe('')
    expect(() => v.validate(point(-1), site)).toThrow(whole)
  })
})
