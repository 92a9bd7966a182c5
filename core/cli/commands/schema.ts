/** `llem schema [raw|aggregated|manifest]`: JSON Schema of the result files, generated from the zod schemas. */
import { z } from 'zod'
import { InputError } from '../../errors.js'
import { aggregatedResultSchema, manifestSchema, rawProcessResultSchema, SCHEMA_VERSION } from '../../results/schema.js'

const SCHEMAS = { raw: rawProcessResultSchema, aggregated: aggregatedResultSchema, manifest: manifestSchema }

export function resultJsonSchemas(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(SCHEMAS).map(([k, s]) => [k, z.toJSONSchema(s, { unrepresentable: 'any' })]))
}

export async function schemaCommand(name: string | undefined): Promise<number> {
  if (name !== undefined && !(name in SCHEMAS)) throw new InputError('CONFIG_INVALID', `llem schema: unknown schema "${name}" (one of: ${Object.keys(SCHEMAS).join(', ')})`)
  const all = resultJsonSchemas()
  const out = name ? all[name] : { schema_version: SCHEMA_VERSION, RawProcessResult: all.raw, AggregatedResult: all.aggregated, Manifest: all.manifest }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n')
  return 0
}
