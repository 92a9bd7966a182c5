/**
 * Finding and importing a plugin module, the same way for every kind (backend, probe, reporter), as
 * Vitest does for its reporters and pools: a string that looks like a path ('./my-backend.ts', an
 * absolute path, anything ending in .ts/.js) is a file relative to the project root (the config
 * file's directory, else the working directory); any other string that is not a built-in name is a
 * package, resolved from the project root first and from llem's own install second. Files load through
 * jiti (core/user-modules.ts), so a plugin may be TypeScript and may import 'llem/plugin'.
 *
 * The worker processes that run backends and probes call the same functions with the same root, so a
 * spec means one module in the main process and in every worker.
 */
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describeImportError } from '../config/import-error.js'
import { closest } from '../config/suggest.js'
import { InputError } from '../errors.js'
import { importUserModule, resolveUserModule } from '../user-modules.js'

export type PluginKind = 'backend' | 'probe' | 'reporter'

const MODULE_EXT = /\.(?:[cm]?[jt]s|tsx)$/
// an npm package name: optional @scope/, then a name, then an optional subpath ('pkg/reporter')
const PACKAGE_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w.-]+)*$/i

/** A string spec is a path when it looks like one; anything else is a built-in or a package name. */
export function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec) || MODULE_EXT.test(spec)
}

export interface PluginModule {
  /** the absolute file the spec resolved to */
  file: string
  /** the module's namespace: `default` and any named exports (`options`) */
  exports: Record<string, unknown>
}

/**
 * The module a path or package spec names, imported. `builtins` (the names of this kind's built-ins)
 * only make the "not found" message say what exists and what was probably meant.
 */
export async function importPluginModule(spec: string, rootDir: string, kind: PluginKind, builtins: readonly string[]): Promise<PluginModule> {
  const file = isPathSpec(spec) ? findFile(spec, rootDir, kind) : findPackage(spec, rootDir, kind, builtins)
  try {
    const exports = await importUserModule<Record<string, unknown>>(file)
    return { file, exports: exports ?? {} }
  } catch (e) {
    throw new InputError('PLUGIN_NOT_FOUND', describeImportError(e, file, `${kind} "${spec}"`), { file, cause: e })
  }
}

function findFile(spec: string, rootDir: string, kind: PluginKind): string {
  const resolved = path.resolve(rootDir, spec)
  // './my-backend' without an extension is allowed, as in an import
  const file = [resolved, ...['.ts', '.mts', '.js', '.mjs'].map((e) => resolved + e)].find((f) => existsSync(f) && statSync(f).isFile())
  if (!file) throw new InputError('PLUGIN_NOT_FOUND', `${kind} "${spec}": no such file ${resolved} (a path is relative to ${rootDir})`, { file: resolved, where: kindKey(kind) })
  return file
}

function findPackage(spec: string, rootDir: string, kind: PluginKind, builtins: readonly string[]): string {
  const resolved = PACKAGE_NAME.test(spec) ? resolveUserModule(spec, pathToFileURL(path.join(rootDir, 'package.json')).href) : undefined
  if (resolved) return resolved.startsWith('file:') ? fileURLToPath(resolved) : resolved
  const guess = closest(spec, [...builtins])
  throw new InputError(
    'PLUGIN_NOT_FOUND',
    `unknown ${kind} "${spec}"${guess ? ` (did you mean "${guess}"?)` : ''}: not a built-in (${builtins.join(', ')}) nor a package installed in ${rootDir}; a ${kind} of your own is a path such as './my-${kind}.ts' or a package name (npm install it first)`,
    { where: kindKey(kind) },
  )
}

function kindKey(kind: PluginKind): string {
  return kind === 'reporter' ? 'reporters' : kind === 'probe' ? 'probes' : 'backend'
}

// re-exported for the modules that already import plugin-module.ts; the worker imports is-schema.ts
export { isSchema } from './is-schema.js'
