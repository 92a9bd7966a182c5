/**
 * The version of the result files' layout, apart from their zod schemas (schema.ts) so that the
 * experiment worker, which stamps it on every result, does not load zod for a constant.
 */
export const SCHEMA_VERSION = '1.0'
