/**
 * Options schemas built on first use. A plugin module is imported by the main process, which checks
 * options against its schema, and by the experiment worker, which only runs it (its options come
 * parsed, SessionTask.backendOptions). Building a schema at the module's top level would make every
 * experiment's process load zod (~50 ms of its start on a 2-core VM) for nothing: a lazy schema is a
 * stand-in that builds the real one the first time any property of it is read.
 */
import { createRequire } from 'node:module'
import type { z as Zod } from 'zod'

type ZodNamespace = typeof Zod

// the zod llem validates with, handed over by the modules that import it (core/plugins/plugin-options.ts,
// core/plugin.ts), so schemas built here are of the same copy
let provided: ZodNamespace | undefined

export function provideZod(z: ZodNamespace): void {
  provided ??= z
}

function zodNow(): ZodNamespace {
  // a process that never loaded llem's validator (a script or a test reading a built-in's schema): zod's
  // CommonJS build, which can be loaded synchronously. zod 4 keeps its registries and configuration on
  // globalThis and recognises its schemas by their traits, so schemas of the two copies work together
  provided ??= (createRequire(import.meta.url)('zod') as { z: ZodNamespace }).z
  return provided
}

/**
 * A schema that `build` makes on first use, typed as the schema itself: `schema.parse(x)`, passing it
 * as a plugin's `options`, nesting it in another schema all work, and nothing loads zod until then.
 */
export function lazySchema<S extends object>(build: (z: ZodNamespace) => S): S {
  let schema: S | undefined
  const real = (): S => (schema ??= build(zodNow()))
  return new Proxy({} as S, {
    get: (_target, key) => Reflect.get(real(), key),
    has: (_target, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  })
}
