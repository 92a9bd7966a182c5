/**
 * The TypeScript end of the worker protocol: starts worker.py with the user's interpreter (execa, in
 * its own process group), checks the protocol version in the hello, measures the offset between the
 * worker's clock and this process's performance.now(), and matches replies to commands by id. stderr
 * goes line by line into the experiment's log. A worker that exits fails every command in flight.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
// execa (a hundred modules) is imported when a worker starts, not when `llem list` loads the backend
import type { ResultPromise } from 'execa'
import { redactedPrefix } from 'llem/plugin/runtime'

/** Bumped whenever a command or reply changes shape; worker.py carries the same number. */
export const PROTOCOL_VERSION = 1
const HELLO_TIMEOUT_MS = 60_000

/** The worker answered a command with ok: false. */
export class WorkerReplyError extends Error {
  constructor(readonly code: string, message: string, readonly reply: Record<string, unknown>) {
    super(message)
  }
}

/** The worker could not start, speaks another protocol, sent a reply that cannot be used, or died. */
export class WorkerGoneError extends Error {
  constructor(readonly kind: 'spawn' | 'exited' | 'protocol' | 'reply' | 'timeout', message: string) {
    super(message)
  }
}

export interface Hello { t: 'hello'; protocol: number; python: string; executable: string; pid: number }
export interface ClockSync { offsetMs: number; method: 'shared monotonic clock' | 'ping midpoint'; rttMs: number }

/**
 * worker.py lives in the source tree (plugins/backends/transformers/), which the package ships; tsc
 * does not copy it into dist/, so from dist/plugins/... walk up to the package root and look there.
 */
export function workerScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'plugins', 'backends', 'transformers', 'worker.py')
    if (existsSync(candidate)) return candidate
    if (path.dirname(dir) === dir) throw new WorkerGoneError('spawn', `worker.py not found above ${here}: the llem package is incomplete`)
  }
}

/**
 * Waits for `p`, at most `ms`. The timer is cleared as soon as `p` settles: a bare
 * Promise.race with setTimeout leaves the timer pending, and a pending timer keeps Node's event loop
 * (and so the whole llem process) alive for its full length after the worker has long exited.
 */
function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([p.then(() => {}, () => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer))
}

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }

export class WorkerClient {
  readonly stderrTail: string[] = []
  clock: ClockSync = { offsetMs: 0, method: 'ping midpoint', rttMs: Infinity }
  private nextId = 1
  private pending = new Map<number, Pending>()
  private gone: WorkerGoneError | null = null
  private helloWaiter: Pending | null = null
  private done: Promise<unknown>

  private constructor(private readonly sub: ResultPromise, readonly python: string, private readonly log: (line: string) => void) {
    // a write to a worker that has just died fails with EPIPE; its exit is reported through `done`
    sub.stdin!.on('error', () => {})
    const out = createInterface({ input: sub.stdout! })
    out.on('line', (line) => this.onLine(line))
    const err = createInterface({ input: sub.stderr! })
    err.on('line', (line) => {
      this.stderrTail.push(line)
      if (this.stderrTail.length > 50) this.stderrTail.shift()
      log(`[transformers] ${line}`)
    })
    // execa settles once the process has exited and its pipes are drained: replies already written
    // are delivered before the commands still waiting are failed
    this.done = sub.then((r) => {
      const code = (r as { code?: string }).code
      if (code === 'ENOENT' || code === 'EACCES') this.fail(new WorkerGoneError('spawn', `cannot start the Python interpreter "${python}": ${code === 'ENOENT' ? 'not found' : 'not executable'}`))
      else this.fail(new WorkerGoneError('exited', `the worker exited (${r.signal ?? `code ${r.exitCode}`})${this.lastStderr()}`))
    })
  }

  get pid(): number {
    return this.sub.pid ?? -1
  }

  get exited(): WorkerGoneError | null {
    return this.gone
  }

  static async start(o: { python: string; env: Record<string, string>; cwd: string; log: (line: string) => void }): Promise<{ client: WorkerClient; hello: Hello }> {
    const { execa } = await import('execa')
    const sub = execa(o.python, ['-u', workerScript()], {
      stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false,
      // its own process group, so stopping it also stops whatever it started (compile workers)
      detached: true, cleanup: false, cwd: o.cwd,
      // no __pycache__ written into the installed package (read-only, or a repo checkout)
      env: { PYTHONDONTWRITEBYTECODE: '1', ...o.env, PYTHONUNBUFFERED: '1' }, extendEnv: true,
    })
    const client = new WorkerClient(sub, o.python, o.log)
    if (client.pid > 0) {
      // the main process kills this group if this worker is SIGKILLed before it can (core/run/pool.ts)
      process.send?.({ llem: 'spawned', pid: client.pid })
      process.once('exit', client.killGroup)
    }
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      client.helloWaiter = { resolve, reject }
      if (client.gone) reject(client.gone)
      setTimeout(() => reject(new WorkerGoneError('timeout', `no handshake from the worker within ${HELLO_TIMEOUT_MS / 1000} s${client.lastStderr()}`)), HELLO_TIMEOUT_MS).unref()
    }).catch(async (e) => {
      await client.stop(0)
      throw e
    })
    if (hello.protocol !== PROTOCOL_VERSION) {
      // not a worker this llem can talk to: no polite shutdown, it may not understand one
      await client.stop(0)
      throw new WorkerGoneError('protocol', `protocol mismatch: llem speaks transformers-worker protocol ${PROTOCOL_VERSION}, the worker (${workerScript()}, started with ${o.python}) answered ${JSON.stringify(hello.protocol ?? null)}`)
    }
    return { client, hello: hello as unknown as Hello }
  }

  /** Sends one command; resolves with its reply, rejects with WorkerReplyError or WorkerGoneError. */
  request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.gone) return Promise.reject(this.gone)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.sub.stdin!.write(JSON.stringify({ ...msg, id }) + '\n')
    })
  }

  /**
   * Offset from the worker's perf_counter_ns to performance.now(): the ping with the smallest round
   * trip, its stamp placed at the trip's midpoint (error at most half that trip). On Linux both
   * clocks are CLOCK_MONOTONIC; when process.hrtime() lands inside that trip the clocks are the same
   * and its exact offset is used instead.
   */
  async calibrate(pings = 20): Promise<ClockSync> {
    let best = { rtt: Infinity, t0: 0, t1: 0, ns: 0 }
    for (let i = 0; i < pings; i++) {
      const t0 = performance.now()
      const r = await this.request({ t: 'ping' })
      const t1 = performance.now()
      if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, t0, t1, ns: r.ns as number }
    }
    const a = performance.now()
    const hr = Number(process.hrtime.bigint()) / 1e6
    const shared = (a + performance.now()) / 2 - hr
    const workerMs = best.ns / 1e6
    const sameClock = shared >= best.t0 - workerMs - 0.05 && shared <= best.t1 - workerMs + 0.05
    this.clock = sameClock ? { offsetMs: shared, method: 'shared monotonic clock', rttMs: best.rtt } : { offsetMs: (best.t0 + best.t1) / 2 - workerMs, method: 'ping midpoint', rttMs: best.rtt }
    return this.clock
  }

  /** A worker perf_counter_ns stamp as performance.now() of this process. */
  toLocalMs(ns: number): number {
    return ns / 1e6 + this.clock.offsetMs
  }

  /** Asks the worker to exit (up to graceMs), then kills its process group; resolves once the process is reaped. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.gone && graceMs > 0) {
      this.sub.stdin!.end(JSON.stringify({ t: 'shutdown' }) + '\n')
      await settledWithin(this.done, graceMs)
    }
    this.killGroup()
    await settledWithin(this.done, 5000)
    process.removeListener('exit', this.killGroup)
    // stopped and reaped: the main process must not signal this group id any more (core/run/pool.ts),
    // it may soon name another process's group
    if (this.pid > 0 && (this.sub.exitCode !== null || this.sub.signalCode !== null)) process.send?.({ llem: 'reaped', pid: this.pid })
  }

  readonly killGroup = (): void => {
    if (this.pid <= 0) return
    try {
      process.kill(-this.pid, 'SIGKILL')
    } catch {
      /* already gone */
    }
  }

  lastStderr(n = 5): string {
    const tail = this.stderrTail.slice(-n)
    return tail.length ? `; last stderr: ${tail.join(' | ')}` : ''
  }

  private onLine(line: string): void {
    let parsed: unknown
    let json = true
    try {
      parsed = JSON.parse(line)
    } catch {
      json = false
    }
    const msg = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null
    if (this.helloWaiter) {
      const w = this.helloWaiter
      this.helloWaiter = null
      if (msg?.t === 'hello') w.resolve(msg)
      else w.reject(new WorkerGoneError('protocol', `protocol mismatch: the worker's first line is not a llem handshake: ${JSON.stringify(redactedPrefix(line, 200))}`))
      return
    }
    const p = typeof msg?.id === 'number' ? this.pending.get(msg.id) : undefined
    // fd 1 carries nothing but replies (worker.py moves all else to stderr): any other line means the
    // protocol broke, and waiting on would wait for ever (until the experiment timeout)
    if (!msg || !p) {
      const why = !json ? 'a line that is not JSON' : !msg ? 'a line that is not a JSON object' : typeof msg.id !== 'number' ? 'a reply without a numeric id' : `a reply to id ${msg.id}, which no command in flight has`
      return this.broken(why, line)
    }
    this.pending.delete(msg.id as number)
    if (msg.ok) p.resolve(msg)
    else p.reject(new WorkerReplyError(String(msg.code), String(msg.message), msg))
  }

  /** A reply that cannot be used: every command in flight fails with the line quoted, the worker is stopped. */
  private broken(why: string, line: string): void {
    if (this.gone) return
    const quoted = line.length > 200 ? `${JSON.stringify(redactedPrefix(line, 200))}… (${line.length} characters)` : JSON.stringify(line)
    const e = new WorkerGoneError('reply', `the worker broke the protocol with ${why}: ${quoted}${this.lastStderr()}`)
    this.log(`[transformers] ${e.message}`)
    this.fail(e)
    this.killGroup()
  }

  private fail(e: WorkerGoneError): void {
    this.gone ??= e
    this.helloWaiter?.reject(this.gone)
    this.helloWaiter = null
    for (const p of this.pending.values()) p.reject(this.gone)
    this.pending.clear()
  }
}
