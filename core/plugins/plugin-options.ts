/**
 * A plugin's options checked against its schema, in the main process (resolve-run.ts). Apart from
 * load-plugins.ts because it needs the config validator, and with it zod: the experiment worker loads
 * plugins too, and every module it imports is paid for between two experiments.
 */
import { z } from 'zod'
import { validateOptions, type ValidationSite } from '../config/validate.js'
import { InputError } from '../errors.js'
import { isSchema } from './is-schema.js'
import { provideZod } from './lazy-schema.js'
import { placeOf } from '../config/blame.js'

// the built-in plugins' schemas are built on first use (lazy-schema.ts): with this copy of zod
provideZod(z)

/**
 * The messages name `site.file` and the dotted path (`backend.tokens: expected number`). Without a
 * schema the plugin takes no options, and any given are refused rather than ignored.
 */
export function validatePluginOptions(plugin: { name: string; options?: unknown }, options: Record<string, unknown>, site: ValidationSite & { prefix: string }): Record<string, unknown> {
  if (isSchema(plugin.options)) return validateOptions(plugin.options, options, site) as Record<string, unknown>
  const keys = Object.keys(options)
  if (keys.length === 0) return options
  const place = [site.file, site.label].filter(Boolean).join(': ')
  const head = site.blame ? placeOf(site.blame, `${site.prefix}.${keys[0]}`, place) : place
  throw new InputError(site.code ?? 'CONFIG_INVALID', `${head}: unknown key "${site.prefix}.${keys[0]}": ${site.prefix} "${plugin.name}" takes no options (its plugin exports no options schema)`, { file: site.file, where: `${site.prefix}.${keys[0]}` })
}
