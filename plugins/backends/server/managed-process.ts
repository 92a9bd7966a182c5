/**
 * A managed server process, started through supervisor.ts so that it dies with llem however llem
 * ends (SIGKILL of its whole process group included). llem signals only the supervisor, its own
 * child; the supervisor signals only the server's process group, and only once it has been spawned.
 * The server's output is kept (the last 200 lines) and mirrored to log.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { packageRoot } from 'llem/plugin/runtime'

/** a message to the experiment pool over this worker's IPC channel; nothing without one (the main
 *  process, a Slurm task), and a channel closed meanwhile is not an error (the callback takes it) */
function tellPool(m: { llem: 'spawned' | 'reaped'; pid: number }): void {
  if (process.send && process.connected) process.send(m, undefined, undefined, () => {})
}

export interface ManagedProcess {
  /** the server's pid once started (-1 before, or when it could not start) */
  readonly pid: number
  logTail(): string[]
  exited(): { code: number | null; signal: string | null } | null
  /** resolves once all the server's output has been read (its pipes ended), or after `timeoutMs`: a
   *  server that has exited may still have its last lines (a crash's reason) in the pipes */
  outputRead(timeoutMs: number): Promise<void>
  stop(): Promise<void>
}

export interface StartOptions {
  /** removed by the supervisor once the server has exited (a temp dir of options files) */
  cleanup?: string[]
  /** SIGTERM -> SIGKILL grace, on stop() and when llem goes away (default 5000 ms) */
  graceMs?: number
}

const MAX_PARTIAL_LINE = 64 * 1024

function supervisorFile(): string {
  const built = path.join(path.dirname(fileURLToPath(import.meta.url)), 'supervisor.js')
  // under vitest this module runs from source: the supervisor is still the compiled file
  return existsSync(built) ? built : path.join(packageRoot(), 'dist', 'plugins', 'backends', 'server', 'supervisor.js')
}

/** Start argv under a supervisor, in its own process group; its output is kept and mirrored to log. */
export function startProcess(argv: string[], env: Record<string, string>, log: (line: string) => void, o: StartOptions = {}): ManagedProcess {
  const graceMs = o.graceMs ?? 5000
  // detached: the supervisor leads a session of its own, out of reach of a kill of llem's group
  const sup = spawn(process.execPath, [supervisorFile(), JSON.stringify({ graceMs, cleanup: o.cleanup ?? [] }), ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...(process.env as Record<string, string>), ...env },
  })
  const tail: string[] = []
  let exit: { code: number | null; signal: string | null } | null = null
  let pid = -1
  let spawnError: string | null = null
  const keep = (line: string) => {
    if (line === '') return
    tail.push(line)
    if (tail.length > 200) tail.shift()
    log(line)
  }
  // both pipes ended: every line the server (and what it started) wrote has been kept
  let open = 2
  let allRead!: () => void
  const outputDone = new Promise<void>((resolve) => (allRead = resolve))
  // a read may end mid-line: each stream keeps its unfinished line until the rest arrives
  const lines = (stream: NodeJS.ReadableStream) => {
    let rest = ''
    let ended = false
    const done = () => {
      if (ended) return
      ended = true
      if (--open === 0) allRead()
    }
    stream.setEncoding('utf8')
    stream.on('data', (d: string) => {
      const parts = (rest + d).split('\n')
      rest = parts.pop()!
      parts.forEach(keep)
      // output that never ends its line must not grow without limit: pass it on in pieces
      if (rest.length > MAX_PARTIAL_LINE) {
        keep(rest)
        rest = ''
      }
    })
    stream.on('end', () => {
      keep(rest)
      rest = ''
      done()
    })
    stream.on('close', done)
  }
  lines(sup.stdout!)
  lines(sup.stderr!)
  sup.on('message', (m: { t?: string; pid?: number; message?: string; code?: number | null; signal?: string | null }) => {
    if (m.t === 'spawned' && typeof m.pid === 'number') {
      pid = m.pid
      // in an experiment's worker: the pool kills this group, and waits for it, if the worker is killed
      // first (a timeout), so the GPU is not handed on while the server still runs (core/run/pool.ts)
      tellPool({ llem: 'spawned', pid })
    } else if (m.t === 'error') spawnError = m.message ?? 'unknown error'
    else if (m.t === 'exit') {
      exit ??= { code: m.code ?? null, signal: m.signal ?? null }
      if (pid > 0) tellPool({ llem: 'reaped', pid })
    }
  })
  const gone = new Promise<void>((resolve) => {
    sup.on('exit', (code, signal) => {
      // the supervisor itself failed (or was killed) before it could report the server's end
      exit ??= { code, signal }
      resolve()
    })
    sup.on('error', (e) => {
      spawnError ??= e.message
      exit ??= { code: 127, signal: null }
      resolve()
    })
  })
  // this process exiting closes the IPC channel, which is what tells the supervisor to stop the server
  sup.unref()
  ;(sup as unknown as { channel?: { unref(): void } }).channel?.unref()
  return {
    get pid() {
      return pid
    },
    logTail: () => (spawnError ? [`cannot start ${argv[0]}: ${spawnError}`, ...tail] : [...tail]),
    exited: () => exit,
    async outputRead(timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([outputDone, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))])
      clearTimeout(timer)
    },
    async stop() {
      if (sup.exitCode === null && sup.signalCode === null && sup.connected) sup.send({ t: 'stop', graceMs }, () => {})
      // the supervisor escalates to SIGKILL itself; this bound only guards against a hung supervisor
      let timer: NodeJS.Timeout | undefined
      await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, graceMs + 5000)))])
      clearTimeout(timer)
      if (sup.exitCode === null && sup.signalCode === null) sup.kill('SIGKILL')
    },
  }
}
