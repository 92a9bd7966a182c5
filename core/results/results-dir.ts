/**
 * The one rule for where runs are stored and looked up, shared by bench, list, report and compare:
 * --results-dir, else LLEM_RESULTS_DIR, else the config's `resultsDir`, else `llem-results`. A
 * directory typed on the command line or set in the environment is relative to the working directory
 * (where it was typed); one written in the config file is relative to the config's directory.
 */
import path from 'node:path'
import { RUN_DEFAULTS } from '../config/defaults.js'

export function resolveResultsDir(opts: { flag?: string; env: NodeJS.ProcessEnv; configured?: string; rootDir: string; cwd: string }): string {
  if (opts.flag !== undefined) return path.resolve(opts.cwd, opts.flag)
  const fromEnv = opts.env.LLEM_RESULTS_DIR
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(opts.cwd, fromEnv)
  return path.resolve(opts.rootDir, opts.configured ?? RUN_DEFAULTS.resultsDir)
}
