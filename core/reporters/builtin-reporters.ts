/**
 * The reporters llem ships, by the name used in config and on the command line. Imported lazily so a
 * run pays only for the reporters it uses.
 */
import type { BuiltinReporters } from './load-reporters.js'

export const builtinReporters = {
  console: () => import('../../plugins/reporters/console.js'),
  json: () => import('../../plugins/reporters/json.js'),
  csv: () => import('../../plugins/reporters/csv.js'),
  parquet: () => import('../../plugins/reporters/parquet.js'),
  html: () => import('../../plugins/reporters/html.js'),
  'lm-eval': () => import('../../plugins/reporters/lm-eval.js'),
  mlenergy: () => import('../../plugins/reporters/mlenergy.js'),
  'zeus-csv': () => import('../../plugins/reporters/zeus-csv.js'),
  codecarbon: () => import('../../plugins/reporters/codecarbon.js'),
  markdown: () => import('../../plugins/reporters/markdown.js'),
  'github-actions': () => import('../../plugins/reporters/github-actions.js'),
} satisfies BuiltinReporters

export type BuiltinReporterName = keyof typeof builtinReporters
