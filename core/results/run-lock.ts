/**
 * The results directory's lock: two llem processes must never write one directory. The lock file is
 * complete the moment it exists (written aside, then link(2)ed into place: link fails with EEXIST
 * when the name is taken, atomically, also on NFS), and says who holds it: pid, that process's start
 * time (/proc/<pid>/stat field 22, so a pid reused by another process is told apart), host name and
 * kernel boot id (/proc/sys/kernel/random/boot_id, so a lock from before a reboot is told apart).
 * Exactly these locks are stale and taken over, with a message: the holder's pid is gone (or a
 * zombie), the pid now belongs to a process started at another time, the boot id of the same host
 * changed. A lock of another host (a container with its own hostname, another node on a shared
 * filesystem) cannot be checked from here: its holder refreshes the file's mtime every `refresh_ms`
 * (10 s) while it runs, and a lock that says so but has not been refreshed for six of those is stale
 * (its llem crashed). A lock of another host without `refresh_ms` (an older llem) is never taken.
 *
 * Taking over is itself a race (several llem started at once all find the same stale lock). Only the
 * contender that creates `<lock>.break-<id of that stale lock>` (O_EXCL) may remove it, and only after
 * re-reading it unchanged; everyone else retries the link. So a stale lock is removed once, and a
 * fresh lock is never removed by someone who judged the stale one. See proc(5) for the stat fields.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, linkSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { ensureResultsDir } from './results-dir.js'
import os from 'node:os'
import path from 'node:path'
import { InputError } from '../errors.js'

export interface Lock {
  file: string
  /** set when a stale lock was taken over: whose, and why it was stale */
  recovered: string | null
  release(): void
}

export interface LockRecord {
  pid: number
  /** /proc/<pid>/stat field 22: clock ticks after boot; null where there is no /proc */
  start_time: number | null
  host: string
  boot_id: string | null
  since: string
  /** unique per lock taken, names its break file */
  nonce: string
  /** how often the holder refreshes the file's mtime (ms): the lease another host can judge it by */
  refresh_ms?: number
}

/** the holder refreshes its lock this often; one not refreshed for LEASE_MISSES of these is stale */
export const LOCK_REFRESH_MS = 10_000
const LEASE_MISSES = 6

function readProc(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

/** state and start time of a live process, from /proc/<pid>/stat; null when there is no such process (or no /proc) */
export function procStat(pid: number): { state: string; startTime: number } | null {
  const stat = readProc(`/proc/${pid}/stat`)
  if (stat === null) return null
  // field 2 (comm) is in parentheses and may hold spaces or ')': the fields after it follow the last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { state: rest[0], startTime: Number(rest[22 - 3]) }
}

export const bootId = (): string | null => readProc('/proc/sys/kernel/random/boot_id')?.trim() || null
const hasProc = () => existsSync('/proc/self/stat')

function exists(pid: number): boolean {
  if (hasProc()) {
    const s = procStat(pid)
    return s !== null && s.state !== 'Z' && s.state !== 'X'
  }
  // no /proc (macOS): signal 0 checks existence and delivers nothing
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Why the lock `h` is stale, or null while its holder may still be running. */
export function staleReason(h: Partial<LockRecord> | null, me = { host: os.hostname(), boot: bootId() }, mtimeMs: number | null = null): string | null {
  if (h === null) return 'the lock file is unreadable'
  if (!Number.isInteger(h.pid) || h.pid! <= 0) return 'the lock file names no process'
  if (h.host !== undefined && h.host !== me.host) {
    // no process of another host can be looked at: only its lease tells
    const refresh = typeof h.refresh_ms === 'number' && h.refresh_ms > 0 ? h.refresh_ms : null
    if (refresh === null || mtimeMs === null) return null
    const silentMs = Date.now() - mtimeMs
    return silentMs > LEASE_MISSES * refresh ? `the llem of ${h.host} (pid ${h.pid}) has not refreshed it for ${Math.round(silentMs / 1000)} s (it does every ${refresh / 1000} s while it runs)` : null
  }
  if (h.boot_id && me.boot && h.boot_id !== me.boot) return `pid ${h.pid} ran before this machine last booted (boot id ${h.boot_id})`
  if (!exists(h.pid!)) return `pid ${h.pid} no longer exists`
  const now = procStat(h.pid!)
  if (typeof h.start_time === 'number' && now && now.startTime !== h.start_time) return `pid ${h.pid} is now another process (started at tick ${now.startTime}, the holder at ${h.start_time})`
  // an old lock without a start time, of this very pid: another llem that had our pid (a container restarted)
  if (h.start_time == null && h.pid === process.pid) return `pid ${h.pid} is this process, which does not hold the lock`
  return null
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function acquireLock(resultsDir: string, opts: { refreshMs?: number } = {}): Promise<Lock> {
  const refreshMs = opts.refreshMs ?? LOCK_REFRESH_MS
  // bad input (a file in the way, /proc, read-only) is refused here with the reason, never spun on
  ensureResultsDir(resultsDir)
  const file = path.join(resultsDir, '.llem.lock')
  const mine: LockRecord = { pid: process.pid, start_time: procStat(process.pid)?.startTime ?? null, host: os.hostname(), boot_id: bootId(), since: new Date().toISOString(), nonce: randomBytes(8).toString('hex'), refresh_ms: refreshMs }
  const tmp = `${file}.${process.pid}.${mine.nonce}.tmp`
  writeFileSync(tmp, JSON.stringify(mine) + '\n', { mode: 0o644 })
  const recovered: string[] = []
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        linkSync(tmp, file)
        // the lease: llem on another host judges this lock by how recently it was touched
        const beat = setInterval(() => {
          try {
            if (readProc(file)?.includes(mine.nonce)) utimesSync(file, new Date(), new Date())
          } catch {
            /* a results dir gone or read-only: the next beat tries again */
          }
        }, refreshMs)
        beat.unref()
        const release = () => {
          clearInterval(beat)
          // only our own lock: one taken over by someone who judged it stale is theirs now
          if (!readProc(file)?.includes(mine.nonce)) return
          try {
            rmSync(file, { force: true })
          } catch (e) {
            // the results directory became read-only (or went away) under the run: what was written is
            // kept; the lock stays behind, and the next llem takes it over as stale (its pid is gone)
            process.stderr.write(`llem: could not remove the lock file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the next run takes it over once this process has exited\n`)
          }
        }
        return { file, recovered: recovered.length ? recovered.join('; ') : null, release }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      const raw = readProc(file)
      if (raw === null) continue // released or removed just now: try again
      let holder: Partial<LockRecord> | null = null
      try {
        holder = JSON.parse(raw) as Partial<LockRecord>
      } catch {
        /* unreadable: stale */
      }
      let mtimeMs: number | null = null
      try {
        mtimeMs = statSync(file).mtimeMs
      } catch {
        /* gone since: the next link attempt tells */
      }
      const why = staleReason(holder, undefined, mtimeMs)
      if (why === null) {
        const where = holder!.host !== undefined && holder!.host !== os.hostname() ? ` on ${holder!.host}` : ''
        const hint = !where ? '' : typeof holder!.refresh_ms === 'number' ? `; it is taken over once its llem stops refreshing it for ${(LEASE_MISSES * holder!.refresh_ms) / 1000} s` : '; a lock of another host from an older llem is never taken over: delete it if that llem is gone'
        throw new InputError('RESULTS_LOCKED', `${resultsDir} is in use by another llem (pid ${holder!.pid}${where}, since ${holder!.since ?? 'unknown'}); wait for it, or use --results-dir (lock file: ${file}${hint})`, { file })
      }
      const breaker = `${file}.break-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`
      try {
        writeFileSync(breaker, JSON.stringify(mine), { flag: 'wx' })
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
        // another llem is removing this stale lock: let it, then try to link again
        await sleep(5 + Math.random() * 20)
        if (attempt === 199) throw new InputError('RESULTS_LOCKED', `cannot take over the stale lock ${file} (${why}): ${breaker} is left by a llem that crashed while taking it over; delete both files`, { file })
        continue
      }
      try {
        // only this contender may remove the lock whose contents were `raw`, and only if it still is that lock
        if (readProc(file) === raw) {
          rmSync(file, { force: true })
          recovered.push(`took over a stale lock (${why})`)
        }
      } finally {
        rmSync(breaker, { force: true })
      }
    }
    throw new InputError('RESULTS_LOCKED', `cannot take the lock ${file}`, { file })
  } finally {
    rmSync(tmp, { force: true })
  }
}
