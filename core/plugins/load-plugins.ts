/**
 * Backends and probes by the name a config or bench file gives them: a built-in name
 * (core/plugins/builtins.ts), a path to a module, or a package name (plugin-module.ts). A module's
 * default export is the plugin object, of the same shape as a built-in. Its `options` zod schema, if
 * it has one, checks the options written beside its name with the same messages as llem's own keys;
 * a plugin without one takes no options (plugin-options.ts checks them in the main process).
 *
 * Every experiment worker imports this file: what only a user's plugin needs (jiti, through
 * plugin-module.ts) is imported when one is loaded, so a run of built-ins does not pay for it per worker.
 */
import type { Backend } from '../backends/types.js'
import { InputError } from '../errors.js'
import type { Probe } from '../probes/types.js'
import { builtinBackends, builtinProbes } from './builtins.js'
import { isSchema } from './is-schema.js'
import type { PluginKind } from './plugin-module.js'

// one import per spec and root in a process: the main process checks every experiment's backend
const cache = new Map<string, Promise<unknown>>()

export function isBuiltinBackend(spec: string): boolean {
  return Object.hasOwn(builtinBackends, spec)
}

export function isBuiltinProbe(spec: string): boolean {
  return Object.hasOwn(builtinProbes, spec)
}

/** The backend `spec` names; paths and packages resolve against `rootDir`, the project root. */
export function loadBackend(spec: string, rootDir: string): Promise<Backend<any>> {
  if (isBuiltinBackend(spec)) return builtinBackends[spec]()
  return cached(`backend\0${rootDir}\0${spec}`, () => loadUserPlugin(spec, rootDir, 'backend', Object.keys(builtinBackends), ['start']) as Promise<Backend<any>>)
}

/** The probe `spec` names; paths and packages resolve against `rootDir`, the project root. */
export function loadProbe(spec: string, rootDir: string): Promise<Probe<any>> {
  if (isBuiltinProbe(spec)) return builtinProbes[spec]()
  return cached(`probe\0${rootDir}\0${spec}`, () => loadUserPlugin(spec, rootDir, 'probe', Object.keys(builtinProbes), ['available', 'open']) as Promise<Probe<any>>)
}

function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key) as Promise<T> | undefined
  if (!p) {
    p = load()
    cache.set(key, p)
    // a failed load is not remembered: the next call reports its own error (the file may be fixed)
    p.catch(() => cache.delete(key))
  }
  return p
}

async function loadUserPlugin(spec: string, rootDir: string, kind: PluginKind, builtins: string[], methods: string[]): Promise<unknown> {
  const { importPluginModule } = await import('./plugin-module.js')
  const { file, exports } = await importPluginModule(spec, rootDir, kind, builtins)
  // `in`, not a read: jiti's namespace answers a read of a missing default with the namespace itself
  const plugin = 'default' in exports ? exports.default : undefined
  const what = `${kind} "${spec}" (${file})`
  const shape = kind === 'backend' ? '{ name, options?, start(ctx) }' : '{ name, options?, available(options), open(options) }'
  if (typeof plugin !== 'object' || plugin === null)
    throw new InputError('PLUGIN_NOT_FOUND', `${what}: its default export must be a ${kind} object ${shape}, got ${plugin === null ? 'null' : typeof plugin}${plugin === undefined ? ' (no default export)' : ''}`, { file, where: kind })
  const p = plugin as Record<string, unknown>
  const problems = [
    typeof p.name === 'string' && p.name.length > 0 ? null : 'name must be a non-empty string',
    ...methods.map((m) => (typeof p[m] === 'function' ? null : `${m} must be a function`)),
    p.options === undefined || isSchema(p.options) ? null : 'options must be a zod schema (import { z } from "llem/plugin")',
  ].filter((x): x is string => x !== null)
  if (problems.length) throw new InputError('PLUGIN_NOT_FOUND', `${what}: not a ${kind} ${shape}: ${problems.join('; ')}`, { file, where: kind })
  return plugin
}
