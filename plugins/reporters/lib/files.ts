/** Small helpers shared by the reporters that write many files or write peer tools' conventions. */
import { randomBytes } from 'node:crypto'
import { makeDirs } from 'llem/plugin/runtime'
import { rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

// temp names: random once per process (a stale temp file of an earlier process with the same pid is
// never reused), then a counter, instead of a fresh random suffix (a crypto call) for every file
const TMP_TAG = `${process.pid}.${randomBytes(6).toString('hex')}`
let tmpCount = 0

/**
 * Replace `file` through a temp file and a rename, without fsync: a reader sees the old file or the
 * whole new one, never half of it. For the formats that write a file per experiment or per task
 * (thousands in a big run): they are rebuilt from the stored raw results by `llem report`, so they
 * need no durability of their own, and fsyncing each one would cost more than writing them. Results
 * themselves, and single-file reports, keep core/results/atomic-write.ts. `madeDirs` holds the
 * directories this writer has already created, so a thousand files in one directory make it once.
 */
export async function writeFileReplace(file: string, data: string, madeDirs?: Set<string>): Promise<void> {
  const dir = path.dirname(file)
  if (!madeDirs?.has(dir)) {
    // sync: one system call, where the promise form costs a thread-pool round trip (tens of microseconds
    // of this thread's time on a VM) for each of ML.ENERGY's thousand directories
    // one level at a time: a recursive mkdir spins for ever under /proc (core/results/make-dirs.ts)
    makeDirs(dir)
    madeDirs?.add(dir)
  }
  const tmp = `${file}.${TMP_TAG}.${tmpCount++}.tmp`
  try {
    await writeFile(tmp, data)
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {})
    throw e
  }
}

/**
 * Runs `fn` over `items` with at most `limit` in flight. The formats that write one file per
 * experiment would otherwise wait on a thousand fsyncs one after the other; unbounded, they would
 * hold every file's contents in memory at once.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * What Python's `datetime.isoformat()` gives for a naive local time: `YYYY-MM-DDTHH:MM:SS.ffffff`,
 * the fraction left out when it is zero. lm-eval and CodeCarbon stamp files this way, and tools that
 * read their files parse it back.
 */
export function pythonLocalIso(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const base = `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  const ms = d.getMilliseconds()
  return ms === 0 ? base : `${base}.${p(ms * 1000, 6)}`
}

/** A path segment anyone's file system accepts: runs of other characters become '-'. */
export function pathSegment(text: string): string {
  const s = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '')
  return s === '' ? '_' : s
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
