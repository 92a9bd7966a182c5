/**
 * The one rule for where runs are stored and looked up, shared by bench, list, report and compare:
 * --results-dir, else LLEM_RESULTS_DIR, else the config's `resultsDir`, else `llem-results`. A
 * directory typed on the command line or set in the environment is relative to the working directory
 * (where it was typed); one written in the config file is relative to the config's directory.
 */
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs'
import path from 'node:path'
import { RUN_DEFAULTS } from '../config/defaults.js'
import { InputError } from '../errors.js'
import { missingDirs } from './make-dirs.js'

export function resolveResultsDir(opts: { flag?: string; env: NodeJS.ProcessEnv; configured?: string; rootDir: string; cwd: string }): string {
  if (opts.flag !== undefined) return path.resolve(opts.cwd, opts.flag)
  const fromEnv = opts.env.LLEM_RESULTS_DIR
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(opts.cwd, fromEnv)
  return path.resolve(opts.rootDir, opts.configured ?? RUN_DEFAULTS.resultsDir)
}

/** What --results-dir gave (cac may parse a number-like name as a number), or undefined without it. */
export function resultsDirFlag(flags: { resultsDir?: unknown }): string | undefined {
  return flags.resultsDir === undefined ? undefined : String(flags.resultsDir)
}

/**
 * The same rule for commands that may not need a config at all (`llem compare a b` with two paths):
 * the config is loaded only when asked, and only when neither the flag nor the environment decides.
 * The answer is computed once.
 */
export function resultsDirLookup(opts: { flag?: string; env: NodeJS.ProcessEnv; cwd: string; config: () => Promise<{ resultsDir?: string; rootDir: string }> }): () => Promise<string> {
  let dir: Promise<string> | undefined
  const decided = opts.flag !== undefined || (opts.env.LLEM_RESULTS_DIR !== undefined && opts.env.LLEM_RESULTS_DIR !== '')
  return () =>
    (dir ??= (async () => {
      if (decided) return resolveResultsDir({ flag: opts.flag, env: opts.env, rootDir: opts.cwd, cwd: opts.cwd })
      const c = await opts.config()
      return resolveResultsDir({ env: opts.env, configured: c.resultsDir, rootDir: c.rootDir, cwd: opts.cwd })
    })())
}

/**
 * Creates the results directory, one level at a time, and turns each way it can fail into bad input
 * naming the directory. Not `mkdir(dir, { recursive: true })`: on /proc the kernel answers ENOENT for
 * a new name whose parent exists, and Node's recursive mkdir takes that for a missing parent and
 * retries forever at full CPU (measured here on Node 20; also described in
 * https://github.com/Kewton/CommandMate/issues/1774). A dangling symlink on the way does the same.
 */
export function ensureResultsDir(dir: string): void {
  const { missing, blocked } = missingDirs(dir)
  if (blocked) throw unusable(dir, `${blocked} is not a directory`)
  for (const d of missing) {
    try {
      mkdirSync(d)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EEXIST' && statOrNull(d)?.isDirectory()) continue
      const why: Record<string, string> = {
        EACCES: 'permission denied',
        EPERM: 'the filesystem does not allow it',
        EROFS: 'the filesystem is read-only',
        ENOENT: 'the filesystem does not allow new directories there',
        ENOTDIR: `${path.dirname(d)} is not a directory`,
        ENOSPC: 'no space left on the device',
        EEXIST: 'something that is not a directory is in the way (a broken symbolic link?)',
      }
      throw unusable(dir, `cannot create ${d}: ${why[code ?? ''] ?? (e as Error).message}`)
    }
  }
  // a directory that exists but cannot be written: a read-only mount (a container's volume, a
  // snapshot) or another user's; access(2) answers EROFS for the first even to root
  try {
    accessSync(dir, constants.W_OK)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why: Record<string, string> = { EROFS: 'the filesystem is read-only', EACCES: 'permission denied: llem cannot write there', EPERM: 'permission denied: llem cannot write there' }
    throw unusable(dir, `cannot write to ${path.resolve(dir)}: ${why[code ?? ''] ?? (e as Error).message}`)
  }
}

function unusable(dir: string, why: string): InputError {
  return new InputError('RESULTS_INVALID', `results directory ${dir}: ${why} (set by --results-dir, LLEM_RESULTS_DIR or resultsDir)`, { file: dir })
}

function statOrNull(p: string): Stats | null {
  try {
    return statSync(p)
  } catch {
    return null
  }
}
