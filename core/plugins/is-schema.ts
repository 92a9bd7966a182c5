/**
 * Whether a plugin's `options` export is a zod schema. A file of its own, importing nothing: the
 * experiment worker checks plugins with it, and must not load zod or jiti (plugin-module.ts) to do so.
 */

/** True for a value that behaves like a zod schema (safeParse), whichever copy of zod made it. */
export function isSchema(value: unknown): value is import('zod').ZodType {
  return typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function'
}
