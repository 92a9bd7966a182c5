/**
 * `mkdir -p` that cannot spin: each missing level is made with a plain mkdir, and any refusal is
 * thrown. Not `mkdir(dir, { recursive: true })`: where the kernel answers ENOENT for a new name whose
 * parent exists (/proc, /sys) or a dangling symbolic link lies on the way, Node 20's recursive mkdir
 * takes that for a missing parent and retries forever at full CPU (see results-dir.ts). Synchronous:
 * one stat when the directory exists, as it does for all but the first file written into it.
 */
import { mkdirSync, statSync } from 'node:fs'
import path from 'node:path'

export function makeDirs(dir: string): void {
  const missing: string[] = []
  let at = path.resolve(dir)
  for (;;) {
    const st = statSync(at, { throwIfNoEntry: false })
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}': ${at} is a file`), { code: 'ENOTDIR' })
      break
    }
    missing.unshift(at)
    const parent = path.dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const d of missing) {
    try {
      mkdirSync(d)
    } catch (e) {
      // made meanwhile by another writer: fine; anything else in the way is thrown
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(d, { throwIfNoEntry: false })?.isDirectory()) throw e
    }
  }
}
