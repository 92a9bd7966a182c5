/**
 * lazySchema: a built-in plugin's options schema is built the first time something reads it, never at
 * import, and then behaves as the schema itself: parsing, `in`, its prototype, nesting in another
 * schema, and as a plugin's `options` checked by llem's validator.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { lazySchema } from '../core/plugins/lazy-schema.js'
import { validatePluginOptions } from '../core/plugins/plugin-options.js'

describe('lazySchema', () => {
  it('builds nothing until a property is read, then builds once', () => {
    let builds = 0
    const schema = lazySchema((zz) => {
      builds++
      return zz.strictObject({ threads: zz.int().positive().optional() })
    })
    // held, passed around, stored as a plugin's options: still not built
    const plugin = { name: 'p', options: schema }
    expect(plugin.options).toBe(schema)
    expect(builds).toBe(0)
    expect(schema.parse({ threads: 2 })).toEqual({ threads: 2 })
    expect(schema.safeParse({ threads: 0 }).success).toBe(false)
    expect(schema.safeParse({ other: 1 }).success).toBe(false)
    expect(builds).toBe(1)
  })

  it('acts as the schema it builds: in, prototype, nesting, llem validator messages', () => {
    const inner = lazySchema((zz) => zz.enum(['a', 'b']))
    const outer = z.object({ mode: inner })
    expect('safeParse' in inner).toBe(true)
    expect(Object.getPrototypeOf(inner)).toBe(Object.getPrototypeOf(z.enum(['a', 'b'])))
    expect(outer.parse({ mode: 'b' })).toEqual({ mode: 'b' })
    expect(outer.safeParse({ mode: 'c' }).success).toBe(false)
    const options = lazySchema((zz) => zz.strictObject({ port: zz.int().min(1) }))
    expect(() => validatePluginOptions({ name: 'p', options }, { port: 0 }, { file: 'a.bench.ts', prefix: 'backend', code: 'BENCH_INVALID' })).toThrow(/a\.bench\.ts.*backend\.port/)
    expect(validatePluginOptions({ name: 'p', options }, { port: 8 }, { file: 'a.bench.ts', prefix: 'backend', code: 'BENCH_INVALID' })).toEqual({ port: 8 })
  })
})
