/**
 * Write a file so that readers only ever see the old contents or the complete new ones: a result
 * file cut in half by a crash, Ctrl-C or a full disk would be worse than none, because it looks like
 * data. The temp file lives in the target's directory so the final rename never crosses file systems.
 * A write that fails is recorded (writeFailures()), so the run can name every file it could not write.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { makeDirs } from './make-dirs.js'

/** A file that could not be written; its previous contents (or its absence) are kept. */
export class FileWriteError extends Error {
  readonly code: string | undefined
  constructor(readonly file: string, override readonly cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super(`cannot write ${file}: ${why}; its previous contents are kept`)
    this.name = 'FileWriteError'
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code
  }
}

// every failed write of this process, in order: the run summary names them (see core/run/run-bench.ts)
const failures: FileWriteError[] = []

/** A write another process (an experiment worker) could not make, for this process's list. */
export function recordWriteFailure(err: FileWriteError): void {
  failures.push(err)
}

/** The writes that failed in this process so far (callers keep the length they started at). */
export function writeFailures(): readonly FileWriteError[] {
  return failures
}

/**
 * Atomically replace `file` with `data`: creates missing parent directories, writes
 * `<file>.<pid>.<rand>.tmp`, fsyncs it, renames it over `file`, then fsyncs the directory (best
 * effort: not every platform or file system allows opening a directory) so the rename itself is durable.
 * On failure the temp file is removed and a FileWriteError thrown; `file` is left untouched.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await replaceAtomically(file, (fh) => writeAll(fh, data))
}

/**
 * The same, for a file too large to hold as one string (results.json of a large run): the pieces are
 * encoded straight into one of two 1 MB buffers, and a full buffer is written while the next one
 * fills (the caller's serialising overlaps the disk), so memory holds about two buffers and one piece,
 * not the whole file. Joining a batch of pieces and converting it with Buffer.from copied every byte
 * twice more and allocated a fresh megabyte per write. Pieces may also come asynchronously (the HTML
 * report reads each experiment's timeline just before its section).
 */
export async function writeFileAtomicPieces(file: string, pieces: Iterable<string> | AsyncIterable<string>): Promise<void> {
  await replaceAtomically(file, async (fh) => {
    const out = new PieceBuffer(fh)
    try {
      for await (const piece of pieces) await out.add(piece)
      await out.end()
    } catch (e) {
      // no write may still be running when the caller closes the file and removes it
      await out.idle()
      throw e
    }
  })
}

const PIECE_BUFFER_BYTES = 1 << 20

/** Two buffers taking turns: one filling, the other (at most) being written. */
class PieceBuffer {
  private filling = Buffer.allocUnsafe(PIECE_BUFFER_BYTES)
  private spare = Buffer.allocUnsafe(PIECE_BUFFER_BYTES)
  private used = 0
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly fh: FileHandle) {}

  add(piece: string): Promise<void> | undefined {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: under that bound the piece fits without measuring it
    const room = this.filling.length - this.used
    if (piece.length * 3 <= room || Buffer.byteLength(piece) <= room) {
      this.used += this.filling.write(piece, this.used)
      return undefined
    }
    return this.spill(piece)
  }

  private async spill(piece: string): Promise<void> {
    await this.flush()
    if (Buffer.byteLength(piece) <= this.filling.length) this.used = this.filling.write(piece, 0)
    else {
      // a piece larger than a buffer goes out on its own, after what came before it
      await this.writing
      await writeAll(this.fh, Buffer.from(piece, 'utf8'))
    }
  }

  /** start writing the filled buffer once the previous write is done; fill the other meanwhile */
  private async flush(): Promise<void> {
    await this.writing
    if (this.used === 0) return
    const full = this.filling.subarray(0, this.used)
    ;[this.filling, this.spare] = [this.spare, this.filling]
    this.used = 0
    this.writing = writeAll(this.fh, full)
    // a failed write is reported by the next flush or end(); until then it must not count as unhandled
    this.writing.catch(() => {})
  }

  idle(): Promise<void> {
    return this.writing.catch(() => {})
  }

  async end(): Promise<void> {
    await this.flush()
    await this.writing
  }
}

/**
 * write(2) may write less than asked (a disk or quota that fills up mid-write) and say so only through
 * its count; FileHandle.write passes that count on and does not retry. So loop until every byte is
 * written: the next write of a full disk then fails with ENOSPC instead of the file being cut short.
 */
async function writeAll(fh: FileHandle, data: string | Uint8Array): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  let off = 0
  while (off < buf.byteLength) {
    const { bytesWritten } = await fh.write(buf, off, buf.byteLength - off)
    if (bytesWritten <= 0) throw Object.assign(new Error(`wrote ${off} of ${buf.byteLength} bytes, then nothing more`), { code: 'EIO' })
    off += bytesWritten
  }
}

/** temp file in the same directory -> write -> fsync -> rename -> fsync the directory */
async function replaceAtomically(file: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  const dir = path.dirname(file)
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    makeDirs(dir)
    const fh = await open(tmp, 'w')
    try {
      await write(fh)
      // fsync reports write-back errors (ENOSPC, EIO, EDQUOT on NFS) that write itself did not
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {})
    const err = new FileWriteError(file, e)
    failures.push(err)
    throw err
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
