/**
 * The reporters llem ships, by the name used in config and on the command line. Imported lazily so a
 * run pays only for the reporters it uses.
 */
import type { BuiltinReporters } from './load-reporters.js'

export const builtinReporters = {
  console: () => import('../../plugins/reporters/console.js'),
  json: () => import('../../plugins/reporters/json.js'),
  csv: () => import('../../plugins/reporters/csv.js'),
} satisfies BuiltinReporters

export type BuiltinReporterName = keyof typeof builtinReporters
