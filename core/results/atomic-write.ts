/**
 * Write a file so that readers only ever see the old contents or the complete new ones: a result
 * file cut in half by a crash or Ctrl-C would be worse than none, because it looks like data.
 * The temp file lives in the target's directory so the final rename never crosses file systems.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import path from 'node:path'

/**
 * Atomically replace `file` with `data`: creates missing parent directories, writes
 * `<file>.<pid>.<rand>.tmp`, fsyncs it, renames it over `file`, then fsyncs the directory (best
 * effort: not every platform or file system allows opening a directory) so the rename itself is durable.
 * On failure the temp file is removed and the error rethrown; `file` is left untouched.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await replaceAtomically(file, (fh) => fh.writeFile(data))
}

/**
 * The same, for a file too large to hold as one string (results.json of a large run): the pieces are
 * written in turn, gathered up to ~1 MB per write (one syscall per result would be slower than one
 * string), so memory holds about one piece at a time, not the whole file.
 */
export async function writeFileAtomicPieces(file: string, pieces: Iterable<string>): Promise<void> {
  await replaceAtomically(file, async (fh) => {
    let batch: string[] = []
    let size = 0
    for (const piece of pieces) {
      batch.push(piece)
      size += piece.length
      if (size >= 1 << 20) {
        await fh.write(batch.join(''))
        batch = []
        size = 0
      }
    }
    if (batch.length) await fh.write(batch.join(''))
  })
}

/** temp file in the same directory -> write -> fsync -> rename -> fsync the directory */
async function replaceAtomically(file: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const fh = await open(tmp, 'w')
    try {
      await write(fh)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {})
    throw e
  }
  await syncDir(dir)
}

async function syncDir(dir: string): Promise<void> {
  try {
    const dh = await open(dir, 'r')
    try {
      await dh.sync()
    } finally {
      await dh.close()
    }
  } catch {
    // Windows and some network file systems refuse this; the data itself is already synced
  }
}
