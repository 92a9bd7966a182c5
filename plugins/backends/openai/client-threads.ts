/**
 * load.clientThreads: the streaming client spread over N worker threads (stream-worker.ts), each with
 * its own event loop and sockets, so that one loop is not the ceiling on how many chunks a second llem
 * can stamp on time. The load runner's schedule (arrivals, concurrency, conversations) stays on the
 * main thread; each request goes to the thread with the fewest in flight. Stamps come back as epoch
 * times and are turned into the main thread's performance.now(): one clock for every thread.
 */
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { LlemError, type TokenSink } from 'llem/plugin/runtime'
import { StreamError, type StreamOutcome, type StreamRequest } from './sse-stream.js'
import type { ThreadCommand, ThreadLoopDelay, ThreadReply } from './client-thread-protocol.js'

interface Pending {
  sink: TokenSink
  thread: Thread
  resolve(r: StreamOutcome & { endMs: number }): void
  reject(e: unknown): void
  signal?: AbortSignal
  onAbort?: () => void
}

interface Thread {
  worker: Worker
  inFlight: number
  report?: (d: ThreadLoopDelay | null) => void
}

/** the worker's module: compiled JavaScript beside this file, or (tests, jiti) the TypeScript source */
function workerEntry(): { url: URL; execArgv: string[] } {
  const source = import.meta.url.endsWith('.ts')
  return { url: new URL(source ? './stream-worker.ts' : './stream-worker.js', import.meta.url), execArgv: source ? ['--import', 'jiti/register'] : [] }
}

export class ClientThreads {
  private readonly pending = new Map<number, Pending>()
  private nextId = 0

  private constructor(
    private readonly threads: Thread[],
    private readonly onNote: (note: string) => void,
  ) {
    for (const t of threads) t.worker.on('message', (m: ThreadReply) => this.onReply(t, m))
    for (const t of threads) t.worker.on('error', (e) => this.lost(t, e))
  }

  static async start(count: number, onNote: (note: string) => void): Promise<ClientThreads> {
    const { url, execArgv } = workerEntry()
    const threads = Array.from({ length: count }, () => ({ worker: new Worker(url, { execArgv }), inFlight: 0 }))
    // the start-up listeners are taken off one by one: a Worker keeps listeners of its own (removing
    // them all stops its messages)
    const undo: (() => void)[] = []
    try {
      await Promise.all(
        threads.map(
          (t) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (m: ThreadReply) => (m.type === 'ready' ? resolve() : reject(new Error(`unexpected first message ${m.type}`)))
              const onExit = (code: number) => reject(new Error(`exited with code ${code}`))
              t.worker.once('message', onMessage).once('error', reject).once('exit', onExit)
              undo.push(() => t.worker.off('message', onMessage).off('error', reject).off('exit', onExit))
            }),
        ),
      )
    } catch (e) {
      await Promise.all(threads.map((t) => t.worker.terminate()))
      throw new LlemError('BACKEND_FAILED', `load.clientThreads: a client thread did not start: ${e instanceof Error ? e.message : String(e)}`)
    }
    for (const f of undo) f()
    return new ClientThreads(threads, onNote)
  }

  get count(): number {
    return this.threads.length
  }

  /** one request on the least busy thread; the sink is told its chunks with main-thread times */
  stream(req: StreamRequest, sink: TokenSink): Promise<StreamOutcome & { endMs: number }> {
    const thread = this.threads.reduce((a, b) => (b.inFlight < a.inFlight ? b : a))
    const id = this.nextId++
    const { signal, onNote: _onNote, ...plain } = req
    return new Promise((resolve, reject) => {
      const p: Pending = { sink, thread, resolve, reject, signal }
      this.pending.set(id, p)
      thread.inFlight++
      this.post(thread, { type: 'send', id, req: plain })
      if (signal) {
        p.onAbort = () => this.post(thread, { type: 'abort', id })
        if (signal.aborted) p.onAbort()
        else signal.addEventListener('abort', p.onAbort, { once: true })
      }
    })
  }

  /** the measured window opens: every thread starts its event-loop delay histogram afresh */
  measure(): void {
    for (const t of this.threads) this.post(t, { type: 'measure' })
  }

  /** each thread's event-loop delay since measure() (the threads go on: the SSE benchmark's rounds) */
  report(): Promise<(ThreadLoopDelay | null)[]> {
    return Promise.all(
      this.threads.map(
        (t) =>
          new Promise<ThreadLoopDelay | null>((resolve) => {
            t.report = resolve
            t.worker.once('exit', () => resolve(null))
            this.post(t, { type: 'report' })
          }),
      ),
    )
  }

  /** each thread's event-loop delay since measure(), then the threads end */
  async stop(): Promise<(ThreadLoopDelay | null)[]> {
    const delays = await this.report()
    await Promise.all(this.threads.map((t) => t.worker.terminate()))
    return delays
  }

  private post(t: Thread, m: ThreadCommand): void {
    t.worker.postMessage(m)
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id)
    if (!p) return undefined
    this.pending.delete(id)
    p.thread.inFlight--
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort)
    return p
  }

  private onReply(t: Thread, m: ThreadReply): void {
    // epoch ms from the worker to this thread's performance.now()
    const local = (epochMs: number) => epochMs - performance.timeOrigin
    const rest = (p: Pending, times: number[], counts: number[]) => {
      for (let i = 0; i < times.length; i++) p.sink.onTokens(counts[i], local(times[i]))
    }
    if (m.type === 'first') this.pending.get(m.id)?.sink.onTokens(m.count, local(m.atMs))
    else if (m.type === 'done') {
      const p = this.settle(m.id)
      if (!p) return
      rest(p, m.times, m.counts)
      p.resolve({ ...m.out, endMs: local(m.endMs) })
    } else if (m.type === 'failed') {
      const p = this.settle(m.id)
      if (!p) return
      rest(p, m.times, m.counts)
      const e = m.error.kind === null ? new Error(m.error.message) : Object.assign(new StreamError(m.error.message, m.error.kind, m.error.quote, m.error.quoteChars), { bytesReceived: m.error.bytesReceived })
      p.reject(e)
    } else if (m.type === 'note') this.onNote(m.note)
    else if (m.type === 'report') t.report?.(m.delay)
  }

  /** a thread that died takes its requests with it: they fail, and the load ends (fatal) */
  private lost(t: Thread, e: Error): void {
    for (const [id, p] of this.pending)
      if (p.thread === t) {
        this.settle(id)
        p.reject(new LlemError('BACKEND_FAILED', `a client thread (load.clientThreads) failed: ${e.message}`, { fatal: true }))
      }
  }
}
