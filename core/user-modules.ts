/**
 * One loader for the user's own modules (config, bench files, reporter and plugin files): jiti, so
 * `.ts` works everywhere, with 'llem' aliased to the running copy of the public API. That makes
 * `import { bench } from 'llem'` resolve in this repo, in a project that installed llem, and in a
 * directory that has no node_modules at all, and every file reaches the same collector.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createJiti } from 'jiti'

const here = path.dirname(fileURLToPath(import.meta.url))
export const apiEntry = [path.join(here, 'index.js'), path.join(here, 'index.ts')].find(existsSync)!

let jiti: ReturnType<typeof createJiti> | undefined

export function importUserModule<T = unknown>(file: string, opts: { default?: boolean } = {}): Promise<T> {
  // moduleCache off: a bench file imported twice (list, then bench in one process; tests) re-registers
  jiti ??= createJiti(import.meta.url, { alias: { llem: apiEntry }, moduleCache: false })
  return jiti.import<T>(file, opts.default ? { default: true } : {})
}
