/**
 * Finding and loading the config file. cosmiconfig searches for `llem` (llem.config.{ts,mts,js,mjs,cjs,json},
 * .llemrc*, the `llem` key of package.json); `.ts` files load through jiti because cosmiconfig's own
 * TypeScript loader cannot follow a `.ts` config's imports of other `.ts` files.
 *
 * A config file is code that runs: the search must not find one that someone else put above the
 * project. It walks up from the working directory and stops at the project root (package.json), the
 * repository root (.git), the home directory or a filesystem boundary, whichever comes first, and it
 * never climbs into a directory other users may write to (`/tmp`), where anyone could plant one.
 */
import { existsSync, statSync, type Stats } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { cosmiconfig, type Loader } from 'cosmiconfig'
import { InputError } from '../errors.js'
import { configSchema, type LlemConfig } from './schema.js'
import { validateOptions } from './validate.js'
import { describeDataSyntaxError } from './data-syntax-error.js'
import { describeImportError } from './import-error.js'
import { importUserModule } from '../user-modules.js'

// JS configs go through the same loader, so `import { defineConfig } from 'llem'` resolves anywhere
const loadModule: Loader = async (filepath) => {
  const mod = await importUserModule(filepath, { default: true })
  return typeof mod === 'function' ? await (mod as () => unknown)() : mod
}

const SEARCH_PLACES = [
  'package.json',
  '.llemrc',
  '.llemrc.json',
  '.llemrc.yaml',
  '.llemrc.yml',
  '.llemrc.js',
  '.llemrc.mjs',
  '.llemrc.cjs',
  '.llemrc.ts',
  'llem.config.ts',
  'llem.config.mts',
  'llem.config.js',
  'llem.config.mjs',
  'llem.config.cjs',
  'llem.config.json',
]

export interface LoadedConfig {
  /** absolute path of the file, or null when none was found (all defaults) */
  file: string | null
  /** the directory paths in the config resolve against */
  rootDir: string
  config: LlemConfig
}

export async function loadConfig(opts: { cwd: string; configPath?: string }): Promise<LoadedConfig> {
  const explorer = cosmiconfig('llem', {
    searchPlaces: SEARCH_PLACES,
    loaders: { '.ts': loadModule, '.mts': loadModule, '.js': loadModule, '.mjs': loadModule, '.cjs': loadModule },
    // one directory per search: searchDirs decides how far up to go (cosmiconfig's 'project' climbs to / without a package.json)
    searchStrategy: 'none',
    cache: false,
  })
  let found: { filepath: string; config: unknown; isEmpty?: boolean } | null
  if (opts.configPath) {
    const abs = path.resolve(opts.cwd, opts.configPath)
    if (!existsSync(abs)) throw new InputError('CONFIG_NOT_FOUND', `config file not found: ${opts.configPath} (resolved to ${abs})`, { file: abs })
    found = await explorer.load(abs).catch((e) => rethrow(e, abs))
  } else {
    found = null
    for (const dir of searchDirs(opts.cwd)) {
      found = await explorer.search(dir).catch((e) => rethrow(e, (e as { filepath?: string }).filepath ?? dir))
      if (found) break
    }
  }
  if (!found) return { file: null, rootDir: opts.cwd, config: {} }
  const rel = path.relative(opts.cwd, found.filepath) || found.filepath
  const raw = found.isEmpty || found.config == null ? {} : found.config
  const where = path.basename(found.filepath) === 'package.json' ? `${rel} ("llem" key)` : rel
  const config = validateOptions(configSchema, raw, { file: where })
  return { file: found.filepath, rootDir: path.dirname(found.filepath), config }
}

function rethrow(e: unknown, file: string): never {
  // a JSON/YAML parse error is not an import error: its place and cause are in other fields
  const message = describeDataSyntaxError(e, file) ?? describeImportError(e, file, 'config file')
  throw new InputError('CONFIG_SYNTAX', message, { file, cause: e })
}

const stat = (p: string): Stats | null => {
  try {
    return statSync(p)
  } catch {
    return null
  }
}

/** Writable by every user (/tmp), or owned by another user than us and root: not ours to trust. Group
 *  write is allowed: with one group per user (umask 002) a user's own directories have it. */
function shared(st: Stats): boolean {
  const uid = process.getuid?.()
  return (st.mode & 0o002) !== 0 || (uid !== undefined && st.uid !== uid && st.uid !== 0)
}

/** The directories searched, from `cwd` up: see the file comment for where it stops. */
export function searchDirs(cwd: string, home = os.homedir()): string[] {
  const dirs: string[] = []
  let dir = path.resolve(cwd)
  const start = stat(dir)
  for (;;) {
    dirs.push(dir)
    if (['package.json', 'package.yaml', '.git'].some((f) => existsSync(path.join(dir, f)))) break
    if (dir === path.resolve(home)) break
    const parent = path.dirname(dir)
    if (parent === dir) break
    const up = stat(parent)
    if (!up || !start || up.dev !== start.dev || shared(up)) break
    dir = parent
  }
  return dirs
}
