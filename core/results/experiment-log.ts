/**
 * An experiment's log (a server's output, a worker's stderr, llem's own notes), bounded in memory
 * and on disk. It used to be an array of every line, written out at the end: a chatty engine (vLLM at
 * debug level, a server stuck printing one warning in a loop) grew the worker's memory without limit
 * over a long run. Now lines are held until 256 KiB are pending and then appended to the log file,
 * only the last `tailLines` are kept for error messages, a single line is cut at `maxLineChars`, and
 * past `maxBytes` (default 64 MiB, LLEM_MAX_LOG_BYTES) lines are counted instead of written, the last
 * ones following a note of how many were dropped. `transform` (redaction) runs on every line written.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface ExperimentLogOptions {
  transform?: (line: string) => string
  maxBytes?: number
  tailLines?: number
  maxLineChars?: number
}

const FLUSH_BYTES = 256 * 1024

export function defaultMaxLogBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.LLEM_MAX_LOG_BYTES)
  return Number.isFinite(v) && v > 0 ? v : 64 * 1024 * 1024
}

export class ExperimentLog {
  private readonly transform: (line: string) => string
  private readonly maxBytes: number
  private readonly tailLines: number
  private readonly maxLineChars: number
  private readonly recent: string[] = []
  private pending: string[] = []
  private pendingBytes = 0
  private written = 0
  private started = false
  private dropped = 0
  private writeError: unknown = null
  private droppedBytes = 0
  /** lines pushed, kept or not */
  count = 0

  constructor(readonly file: string, o: ExperimentLogOptions = {}) {
    this.transform = o.transform ?? ((l) => l)
    this.maxBytes = o.maxBytes ?? defaultMaxLogBytes()
    this.tailLines = o.tailLines ?? 200
    this.maxLineChars = o.maxLineChars ?? 16 * 1024
  }

  push(line: string): void {
    this.count++
    // masked before it is cut (and again when written: masking twice changes nothing), so a secret the
    // cut runs through is still recognised whole; a few KiB past the cut are enough to complete one
    if (line.length > this.maxLineChars)
      line = `${this.transform(line.slice(0, this.maxLineChars + 4096)).slice(0, this.maxLineChars)} [llem: ${line.length - this.maxLineChars} more characters of this line not kept]`
    this.recent.push(line)
    if (this.recent.length > this.tailLines) this.recent.shift()
    const bytes = Buffer.byteLength(line) + 1
    // once full, every later line is dropped, so the tail's last lines are exactly the dropped ones
    if (this.dropped > 0 || this.writeError !== null || this.written + this.pendingBytes + bytes > this.maxBytes) {
      this.dropped++
      this.droppedBytes += bytes
      return
    }
    this.pending.push(line)
    this.pendingBytes += bytes
    if (this.pendingBytes >= FLUSH_BYTES) this.flush()
  }

  /** the last n lines (at most tailLines), for an error's log_tail */
  tail(n = this.tailLines): string[] {
    return this.recent.slice(-n)
  }

  /** bytes this log holds in memory now: bounded by the flush size and the tail, not by the run */
  heldBytes(): number {
    return this.pendingBytes + this.recent.reduce((n, l) => n + l.length, 0)
  }

  /** writes what is pending (and, if lines were dropped, a note and the last lines); throws if the file could not be written */
  close(): void {
    if (this.writeError !== null) throw this.writeError
    if (this.dropped > 0) {
      const last = this.recent.slice(-Math.min(this.dropped, this.tailLines))
      this.pending.push(`[llem: ${this.dropped} more lines (${this.droppedBytes} bytes) past this log's limit of ${this.maxBytes} bytes (LLEM_MAX_LOG_BYTES): only the last ${last.length} of them follow]`, ...last)
      this.dropped = 0
    }
    this.flush(true)
  }

  private flush(always = false): void {
    if (!this.pending.length && (this.started || !always)) return
    const text = this.pending.map((l) => this.transform(l) + '\n').join('')
    try {
      if (!this.started) {
        // a rerun (--resume) starts its log afresh
        mkdirSync(path.dirname(this.file), { recursive: true })
        writeFileSync(this.file, text)
        this.started = true
      } else appendFileSync(this.file, text)
    } catch (e) {
      // called from a server's output handler: a full disk must not throw there; close() reports it
      this.writeError = e
    }
    this.written += this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
  }
}
