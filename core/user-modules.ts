/**
 * One loader for the user's own modules (config, bench files, reporter and plugin files): jiti, so
 * `.ts` works everywhere, with 'llem' aliased to the running copy of the public API. That makes
 * `import { bench } from 'llem'` resolve in this repo, in a project that installed llem, and in a
 * directory that has no node_modules at all, and every file reaches the same collector.
 *
 * jiti caches what it compiles. Its default, <tmpdir>/jiti, is shared by every user of a machine:
 * whoever creates it first on a login node can plant compiled code that runs as everyone else. So the
 * cache is per user, <llem cache dir>/jiti, mode 0700, and is not used at all if it is not ours.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createJiti } from './load-jiti.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const apiEntry = [path.join(here, 'index.js'), path.join(here, 'index.ts')].find(existsSync)!
/** `llem/plugin`, the entry plugins import (core/plugin.ts), aliased the same way */
export const pluginEntry = [path.join(here, 'plugin.js'), path.join(here, 'plugin.ts')].find(existsSync)!
/** `llem/plugin/runtime`, the same without zod (core/plugin-runtime.ts) */
export const pluginRuntimeEntry = [path.join(here, 'plugin-runtime.js'), path.join(here, 'plugin-runtime.ts')].find(existsSync)!

let jiti: ReturnType<typeof createJiti> | undefined

function loader(): ReturnType<typeof createJiti> {
  // moduleCache off: a bench file imported twice (list, then bench in one process; tests) re-registers
  jiti ??= createJiti(import.meta.url, { alias: { 'llem/plugin/runtime': pluginRuntimeEntry, 'llem/plugin': pluginEntry, llem: apiEntry }, moduleCache: false, fsCache: privateCacheDir() })
  return jiti
}

export function importUserModule<T = unknown>(file: string, opts: { default?: boolean } = {}): Promise<T> {
  return loader().import<T>(file, opts.default ? { default: true } : {})
}

/** Where an import of `id` from `parentURL` leads (a file URL), as an ESM import would resolve it; undefined if nowhere. */
export function resolveUserModule(id: string, parentURL: string): string | undefined {
  return loader().esmResolve(id, { parentURL, conditions: ['node', 'import', 'default'], try: true })
}

/** llem's cache directory before any config is read: $LLEM_CACHE_DIR, else $XDG_CACHE_HOME/llem, else ~/.cache/llem */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.LLEM_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'llem'))
}

/** <cache>/jiti, created 0700 (and tightened if it exists); false (no file cache) when it is a link or not ours */
function privateCacheDir(): string | false {
  const dir = path.join(userCacheDir(), 'jiti')
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = lstatSync(dir)
    if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) return false
    chmodSync(dir, 0o700)
    return dir
  } catch {
    // an unwritable cache costs compile time, never correctness
    return false
  }
}
