/**
 * Finding and loading the config file. cosmiconfig searches for `llem` (llem.config.{ts,mts,js,mjs,cjs,json},
 * .llemrc*, the `llem` key of package.json); `.ts` files load through jiti because cosmiconfig's own
 * TypeScript loader cannot follow a `.ts` config's imports of other `.ts` files.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { cosmiconfig, type Loader } from 'cosmiconfig'
import { InputError } from '../errors.js'
import { configSchema, type LlemConfig } from './schema.js'
import { validateOptions } from './validate.js'
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
    searchStrategy: 'project',
    cache: false,
  })
  let found: { filepath: string; config: unknown; isEmpty?: boolean } | null
  if (opts.configPath) {
    const abs = path.resolve(opts.cwd, opts.configPath)
    if (!existsSync(abs)) throw new InputError('CONFIG_NOT_FOUND', `config file not found: ${opts.configPath} (resolved to ${abs})`, { file: abs })
    found = await explorer.load(abs).catch((e) => rethrow(e, abs))
  } else {
    found = await explorer.search(opts.cwd).catch((e) => rethrow(e, (e as { filepath?: string }).filepath ?? opts.cwd))
  }
  if (!found) return { file: null, rootDir: opts.cwd, config: {} }
  const rel = path.relative(opts.cwd, found.filepath) || found.filepath
  const raw = found.isEmpty || found.config == null ? {} : found.config
  const where = path.basename(found.filepath) === 'package.json' ? `${rel} ("llem" key)` : rel
  const config = validateOptions(configSchema, raw, { file: where })
  return { file: found.filepath, rootDir: path.dirname(found.filepath), config }
}

function rethrow(e: unknown, file: string): never {
  throw new InputError('CONFIG_SYNTAX', describeImportError(e, file, 'config file'), { file, cause: e })
}
