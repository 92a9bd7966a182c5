/** The run request the command line makes (`llem bench`, `llem list`): flags checked and turned into run options. */
import type { ResolvedRunOptions } from '../config/defaults.js'
import { splitList } from '../config/split-list.js'
import { InputError } from '../errors.js'
import { parseShard } from '../plan/shard.js'
import { resultsDirFlag } from '../results/results-dir.js'
import type { RunRequest } from '../run/resolve-run.js'
import type { CommonFlags } from './flags.js'

export function runRequest(filters: string[], flags: CommonFlags, options: Record<string, string | boolean>): RunRequest {
  const reporters = flags.reporter === undefined ? undefined : Array.isArray(flags.reporter) ? flags.reporter : [flags.reporter]
  const bail = flags.bail === undefined ? undefined : flags.bail === true ? 1 : Number(flags.bail)
  if (bail !== undefined && (!Number.isInteger(bail) || bail < 0)) throw new InputError('CONFIG_INVALID', `command line: --bail: expected a non-negative integer, got ${String(flags.bail)}`)
  const maxParallel = flags.maxParallel === undefined ? undefined : Number(flags.maxParallel)
  if (maxParallel !== undefined && (!Number.isInteger(maxParallel) || maxParallel < 1)) throw new InputError('CONFIG_INVALID', `command line: --max-parallel: expected a positive integer, got ${String(flags.maxParallel)}`)
  if (flags.executor !== undefined && !['local', 'slurm'].includes(String(flags.executor))) throw new InputError('CONFIG_INVALID', `command line: --executor: expected local or slurm, got ${String(flags.executor)}`)
  const include = flags.include === undefined ? undefined : includeGlobs(flags.include)
  const devices = flags.gpus === undefined ? undefined : String(flags.gpus) === 'all' ? ('all' as const) : String(flags.gpus).split(',').map((e) => (/^\d+$/.test(e.trim()) ? Number(e.trim()) : e.trim())).filter((e) => e !== '')
  return {
    cwd: process.cwd(),
    configPath: flags.config,
    flags: options,
    run: { reporters, outputFile: flags.outputFile, resultsDir: resultsDirFlag(flags), bail, maxParallel, devices, include, executor: flags.executor === undefined ? undefined : ({ name: flags.executor } as ResolvedRunOptions['executor']) },
    filters: filters.map(String),
    namePattern: flags.t === undefined ? undefined : String(flags.t),
    shard: flags.shard === undefined ? undefined : parseShard(flags.shard),
    env: process.env,
  }
}

/**
 * `--include a --include b,c`: every flag adds its globs, and together they replace the configured
 * include (as `--reporter` replaces the configured reporters). A comma inside braces (`{a,b}`) belongs
 * to the glob; one outside separates two globs, as `--include a,b` always did.
 */
export function includeGlobs(raw: string | string[] | boolean | number): string[] {
  const kept: string[] = []
  for (const value of Array.isArray(raw) ? raw : [raw]) {
    if (typeof value === 'boolean') throw new InputError('CONFIG_INVALID', 'command line: --include needs a glob, e.g. --include "perf/**/*.bench.ts"')
    kept.push(...splitList(String(value)))
  }
  if (kept.length === 0) throw new InputError('CONFIG_INVALID', `command line: --include ${JSON.stringify(String(raw))}: no glob in it`)
  return [...new Set(kept)]
}
