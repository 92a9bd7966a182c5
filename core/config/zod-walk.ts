/**
 * Looking inside zod 4 schemas: the sub-schema at a dotted path, and the keys an object accepts.
 * Used to suggest the closest valid key and to coerce string flags by the type at their path.
 */
import type { z } from 'zod'

type AnySchema = z.ZodType
interface Def { type: string; innerType?: AnySchema; shape?: Record<string, AnySchema>; options?: AnySchema[]; valueType?: AnySchema; element?: AnySchema; in?: AnySchema; catchall?: AnySchema }

function def(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def
}

/** Strips optional / nullable / default / pipe wrappers. */
export function unwrap(s: AnySchema): AnySchema {
  let cur = s
  for (;;) {
    const d = def(cur)
    if ((d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'prefault' || d.type === 'readonly') && d.innerType) cur = d.innerType
    else if (d.type === 'pipe' && d.in) cur = d.in
    else return cur
  }
}

function shapeOf(s: AnySchema): Record<string, AnySchema> | undefined {
  const d = def(s)
  const shape = d.shape ?? (s as unknown as { shape?: Record<string, AnySchema> }).shape
  return d.type === 'object' ? shape : undefined
}

/** Every schema the value at `path` may have to satisfy (several through unions). */
export function schemasAt(schema: AnySchema, path: readonly (string | number)[]): AnySchema[] {
  let current = [unwrap(schema)]
  for (const key of path) {
    const next: AnySchema[] = []
    for (const s of expandUnions(current)) {
      const d = def(s)
      const shape = shapeOf(s)
      if (shape && typeof key === 'string' && shape[key]) next.push(unwrap(shape[key]))
      else if (d.type === 'record' && d.valueType) next.push(unwrap(d.valueType))
      else if (d.type === 'array' && d.element) next.push(unwrap(d.element))
    }
    current = next
    if (current.length === 0) break
  }
  return current
}

function expandUnions(list: AnySchema[]): AnySchema[] {
  return list.flatMap((s) => {
    const d = def(s)
    return d.type === 'union' && d.options ? expandUnions(d.options.map(unwrap)) : [s]
  })
}

/** Keys accepted by the object schema(s) at `path`; empty when any of them takes arbitrary keys. */
export function knownKeysAt(schema: AnySchema, path: readonly (string | number)[]): string[] {
  const keys = new Set<string>()
  for (const s of expandUnions(schemasAt(schema, path))) {
    const shape = shapeOf(s)
    if (shape) for (const k of Object.keys(shape)) keys.add(k)
  }
  return [...keys]
}

/** Dotted paths of every leaf option the schema declares (nested objects walked, unions of objects too). */
export function declaredLeafPaths(schema: AnySchema, prefix = ''): string[] {
  const out: string[] = []
  const objects = expandUnions([unwrap(schema)]).filter((s) => shapeOf(s))
  if (objects.length === 0) return prefix ? [prefix] : []
  for (const s of objects) {
    for (const [key, child] of Object.entries(shapeOf(s)!)) {
      const p = prefix ? `${prefix}.${key}` : key
      const inner = expandUnions([unwrap(child)])
      const isObjectOnly = inner.every((c) => shapeOf(c)) && inner.length > 0
      if (isObjectOnly) out.push(...declaredLeafPaths(child, p))
      else out.push(p)
    }
  }
  return [...new Set(out)]
}
