/**
 * `mkdir -p` that cannot spin: each missing level is made with a plain mkdir, and any refusal is
 * thrown. Not `mkdir(dir, { recursive: true })`: where the kernel answers ENOENT for a new name whose
 * parent exists (/proc, /sys) or a dangling symbolic link lies on the way, Node 20's recursive mkdir
 * takes that for a missing parent and retries forever at full CPU (see results-dir.ts). Synchronous:
 * one stat when the directory exists, as it does for all but the first file written into it.
 */
import { mkdirSync, statSync, type Stats } from 'node:fs'
import path from 'node:path'

/** The levels of `dir` that do not exist yet, outermost first, and what is in the way if a level that
 *  exists is not a directory (results-dir.ts says so as bad input, makeDirs as ENOTDIR). */
export function missingDirs(dir: string): { missing: string[]; blocked: string | null } {
  const missing: string[] = []
  let at = path.resolve(dir)
  for (;;) {
    const st = statOrNull(at)
    if (st) return { missing, blocked: st.isDirectory() ? null : at }
    missing.unshift(at)
    const parent = path.dirname(at)
    if (parent === at) return { missing, blocked: null }
    at = parent
  }
}

export function makeDirs(dir: string): void {
  const { missing, blocked } = missingDirs(dir)
  if (blocked) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}': ${blocked} is a file`), { code: 'ENOTDIR' })
  for (const d of missing) {
    try {
      mkdirSync(d)
    } catch (e) {
      // made meanwhile by another writer: fine; anything else in the way is thrown
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statOrNull(d)?.isDirectory()) throw e
    }
  }
}

/** A path's stat, or null where it cannot be had: missing, or a file where a directory of its path
 *  should be (ENOTDIR: the walk goes on up to that file) */
function statOrNull(p: string): Stats | null {
  try {
    return statSync(p)
  } catch {
    return null
  }
}
