/**
 * One client thread (load.clientThreads): runs the streaming requests the main thread hands it, each
 * through the same streamCompletion as a single-threaded run, on this thread's own event loop and
 * sockets. Token stamps are taken here with this thread's performance.now() and sent back as epoch
 * milliseconds (performance.timeOrigin + now), which the main thread turns into its own performance.now().
 * On Node 20 a worker's timeOrigin is the process's (measured: equal to the main thread's, and the two
 * threads' now() within 0.04 ms of each other); the HR Time spec gives each global its own origin, so
 * the stamps travel as absolute times, right either way. The first chunk of a request is
 * posted at once (the over-saturation check watches first tokens while the load runs); the rest go back
 * in one message when the request ends, so the main thread does one piece of work per request, not per
 * chunk. The thread's own event-loop delay is measured as the main thread's is (load-runner.ts).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { parentPort } from 'node:worker_threads'
import { streamCompletion, StreamError, type StreamRequest } from './sse-stream.js'
import type { ThreadReply, ThreadCommand } from './client-thread-protocol.js'

const port = parentPort
if (!port) throw new Error('stream-worker.ts runs as a worker thread (load.clientThreads), not on its own')
const abs = (t: number) => performance.timeOrigin + t
const post = (m: ThreadReply) => port.postMessage(m)
const aborts = new Map<number, AbortController>()
const loop = monitorEventLoopDelay({ resolution: 1 })
let elu0 = performance.eventLoopUtilization()

async function run(id: number, req: Omit<StreamRequest, 'signal' | 'onNote'>): Promise<void> {
  const abort = new AbortController()
  aborts.set(id, abort)
  const times: number[] = []
  const counts: number[] = []
  const sink = {
    onTokens(count: number, timeMs: number) {
      if (times.length === 0) post({ type: 'first', id, count, atMs: abs(timeMs) })
      times.push(abs(timeMs))
      counts.push(count)
    },
  }
  try {
    const out = await streamCompletion({ ...req, signal: abort.signal, onNote: (note) => post({ type: 'note', note }) }, sink)
    // the end of the response, as openai's generate takes it on one thread: right after the stream settles
    const endMs = abs(performance.now())
    post({ type: 'done', id, out, endMs, times: times.slice(1), counts: counts.slice(1) })
  } catch (e) {
    const error = e instanceof StreamError ? { message: e.head, kind: e.kind, bytesReceived: e.bytesReceived, quote: e.quote, quoteChars: e.quoteChars } : { message: e instanceof Error ? e.message : String(e), kind: null, bytesReceived: 0, quote: null, quoteChars: 0 }
    post({ type: 'failed', id, error, times: times.slice(1), counts: counts.slice(1) })
  } finally {
    aborts.delete(id)
  }
}

port.on('message', (m: ThreadCommand) => {
  if (m.type === 'send') void run(m.id, m.req)
  else if (m.type === 'abort') aborts.get(m.id)?.abort()
  else if (m.type === 'measure') {
    loop.reset()
    loop.enable()
    elu0 = performance.eventLoopUtilization()
  } else if (m.type === 'report') {
    loop.disable()
    const utilisation = performance.eventLoopUtilization(elu0).utilization
    // as on the main thread: each sample holds the 1 ms timer period itself; the lateness is the excess
    const ms = (ns: number) => Math.max(0, ns / 1e6 - 1)
    post({ type: 'report', delay: loop.count > 0 ? { p50_ms: ms(loop.percentile(50)), p99_ms: ms(loop.percentile(99)), max_ms: ms(loop.max), utilisation } : null })
  }
})
post({ type: 'ready' })
