/**
 * One streaming request to an OpenAI-compatible server, timed chunk by chunk. Every piece of body the
 * transport hands over (one chunked-encoding frame, i.e. one write of the server, or what one read
 * holds of it; one read without chunked encoding) is stamped with performance.now() as the client
 * reaches it, and the SSE events completed in it are one chunk at that stamp: a server that writes
 * several events at once sends a multi-token chunk. Token counts come from the server's usage when it
 * sends them (per chunk with continuous usage, else at the end), else one per content chunk.
 *
 * Plain http runs over node:net with a small HTTP/1.1 reader (http-response.ts), and events are read
 * from the bytes in place (chunk-scan.ts, JSON.parse when that gives up): node:http's stream events,
 * Buffers and strings per frame, and JSON.parse per event, held the client near 100k chunks/s on one
 * core (benchmarks/perf/sse-client.perf.ts). https keeps node:https, stamped per 'data' event.
 */
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import type { TokenSink } from 'llem/plugin/runtime'
import { DEFAULT_STREAM_LIMITS, SseParser, StreamError, tooLarge, type StreamLimits, type StreamOutcome } from './sse-parser.js'
import { HttpProtocolError, HttpResponse } from './http-response.js'

export interface StreamRequest {
  url: string
  body: Record<string, unknown>
  headers: Record<string, string>
  timeoutMs: number
  signal?: AbortSignal
  chat: boolean
  /** bounds on what the server may make the client hold; unset ones take DEFAULT_STREAM_LIMITS */
  limits?: Partial<StreamLimits>
  /** told once per request of something worth a line in the log (the body left open after [DONE]) */
  onNote?: (note: string) => void
  /** keep the reply's text (outcome.text): a conversation sends it back in its next turn */
  keepText?: boolean
}

export { DEFAULT_STREAM_LIMITS, StreamError, type StreamLimits, type StreamOutcome } from './sse-parser.js'

/** how much of an error body is kept for the message (its first 200 characters are quoted) */
const ERROR_BODY_BYTES = 4096
/** how long a body left open after [DONE] may take to end before the client closes it */
const DONE_LINGER_MS = 1000

// plain HTTP: a fresh connection per request. A pooled keep-alive socket the server has just closed
// fails the next request (seen with llama.cpp's server), and on loopback or a LAN a connect costs
// microseconds. HTTPS keeps its connections: a TLS handshake inside TTFT would be worse.
const httpsAgent = new https.Agent({ keepAlive: true })

// Every plain-http socket reads into this one buffer: libuv calls back synchronously per read, each
// read is handled to its end before the next, and what must outlive a read is copied, so sharing it
// is safe and spares a 64 KiB allocation per read.
const readBuffer = Buffer.allocUnsafe(64 * 1024)

/** what the transports share: the parser, the sink and how a request settles */
interface Exchange {
  sse: SseParser
  sink: TokenSink
  /** the outcome is decided (after [DONE] the transport may still read the body's end) */
  settled(): boolean
  /** the transport is torn down: nothing more is read */
  closed(): boolean
  fail(e: unknown): void
  /** `n` more body bytes arrived; false once nothing more is to be done with them */
  count(n: number): boolean
  /** [DONE] was read */
  doneRead(): void
  /** the body ended (or the server closed it after [DONE]) */
  bodyEnded(): void
  httpError(status: number, message: string, text: string): void
}

export function streamCompletion(req: StreamRequest, sink: TokenSink): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url)
    const body = JSON.stringify(req.body)
    const headers: Record<string, string | number> = { 'content-type': 'application/json', accept: 'text/event-stream', 'content-length': Buffer.byteLength(body) }
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v
    // what node:http would refuse up front (before any timer is set): nothing smuggled into the
    // request through a header, no scheme but http and https
    for (const [k, v] of Object.entries(headers)) {
      http.validateHeaderName(k)
      http.validateHeaderValue(k, String(v))
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Protocol "${url.protocol}" not supported. Expected "http:" or "https:"`)
    const limits = { ...DEFAULT_STREAM_LIMITS, ...req.limits }
    const out: StreamOutcome = { promptTokens: null, completionTokens: null, chunkTokens: 0, finishReason: 'stop' }
    const pieces = req.keepText ? ([] as string[]) : null
    const sse = new SseParser(req.chat, out, limits, pieces)
    let settled = false
    let closed = false
    let bodyDone = false
    let bytes = 0
    let linger: NodeJS.Timeout | undefined
    let teardown = () => {}
    const close = () => {
      if (closed) return
      closed = true
      clearTimeout(linger)
      teardown()
    }
    const settle = (e: StreamError | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.signal?.removeEventListener('abort', onAbort)
      if (e) {
        e.bytesReceived = bytes
        close()
        return reject(e)
      }
      if (pieces !== null) out.text = pieces.join('')
      resolve(out)
      // [DONE] is the end of the stream (OpenAI's Python client stops there and closes the response,
      // openai-python src/openai/_streaming.py): the request is complete and timed to it. The body's
      // own end usually follows at once; it is given a moment, so that an HTTPS keep-alive socket goes
      // back to its pool, and a body left open is closed and noted in the log.
      if (bodyDone) return close()
      linger = setTimeout(() => {
        req.onNote?.(`the server sent [DONE] but left the HTTP body open for ${DONE_LINGER_MS} ms: llem closed the connection (the request counts as complete, timed to [DONE])`)
        close()
      }, DONE_LINGER_MS)
      linger.unref()
    }
    const fail = (e: unknown) => {
      // after [DONE], a broken rest of the body only ends the connection
      if (settled) return close()
      settle(e instanceof StreamError ? e : e instanceof HttpProtocolError ? new StreamError(`connection failed: ${e.message}`, 'network') : new StreamError(String(e), 'malformed'))
    }
    const timer = setTimeout(() => fail(new StreamError(`request timed out after ${req.timeoutMs} ms`, 'timeout')), req.timeoutMs)
    const onAbort = () => fail(new StreamError('request aborted', 'network'))
    req.signal?.addEventListener('abort', onAbort, { once: true })
    const x: Exchange = {
      sse,
      sink,
      settled: () => settled,
      closed: () => closed,
      fail,
      count(n) {
        if (closed) return false
        bytes += n
        if (bytes <= limits.maxResponseBytes) return true
        fail(tooLarge(`the body passed ${limits.maxResponseBytes} bytes (backend option maxResponseBytes)`))
        return false
      },
      doneRead: () => settle(null),
      bodyEnded() {
        bodyDone = true
        if (settled) return close()
        if (!sse.done && out.chunkTokens === 0 && out.completionTokens === null) return fail(new StreamError('the stream ended without data or [DONE]', 'malformed'))
        if (!sse.done) return fail(new StreamError('connection failed: the stream ended before [DONE]', 'network'))
        settle(null)
      },
      httpError: (status, message, text) => fail(new StreamError(`HTTP ${status} ${message}: `, 'http', text.replace(/\s+/g, ' '))),
    }
    teardown = url.protocol === 'https:' ? overHttps(url, headers, body, x) : overNet(url, headers, body, x)
  })
}

/** Keeps the first ERROR_BODY_BYTES of an error body; calls `full` once that much has arrived. */
function errorBody(full: (text: string) => void): { add(buf: Buffer, start: number, end: number): void; text(): string } {
  const kept: Buffer[] = []
  let n = 0
  const text = () => Buffer.concat(kept).toString('utf8', 0, Math.min(n, ERROR_BODY_BYTES))
  return {
    add(buf, start, end) {
      if (n >= ERROR_BODY_BYTES) return
      kept.push(Buffer.from(buf.subarray(start, Math.min(end, start + ERROR_BODY_BYTES - n))))
      n += Math.min(end - start, ERROR_BODY_BYTES - n)
      // the status is known and the message quotes only the start: the rest is not waited for
      if (n >= ERROR_BODY_BYTES) full(text())
    },
    text,
  }
}

const connectionFailed = (x: Exchange) => (e: NodeJS.ErrnoException) => x.fail(new StreamError(`connection failed: ${e.message}${e.code ? ` (${e.code})` : ''}`, 'network'))

/** the request through node:https; returns how to tear it down */
function overHttps(url: URL, headers: Record<string, string | number>, body: string, x: Exchange): () => void {
  const request = https.request(url, { method: 'POST', agent: httpsAgent, headers })
  request.on('error', connectionFailed(x))
  request.on('response', (res) => {
    const status = res.statusCode ?? 0
    if (status >= 300) {
      const text = errorBody((t) => x.httpError(status, res.statusMessage ?? '', t))
      res.on('data', (d: Buffer) => x.count(d.length) && text.add(d, 0, d.length))
      res.on('end', () => x.httpError(status, res.statusMessage ?? '', text.text()))
      return
    }
    res.on('data', (piece: Buffer) => {
      const t = performance.now()
      if (!x.count(piece.length) || x.settled()) return
      let tokens: number
      try {
        tokens = x.sse.feed(piece, 0, piece.length)
      } catch (e) {
        return x.fail(e)
      }
      if (tokens > 0) x.sink.onTokens(tokens, t)
      if (x.sse.done) x.doneRead()
    })
    res.on('aborted', () => x.fail(new StreamError('connection failed: the server closed the stream mid-response', 'network')))
    res.on('error', (e) => x.fail(new StreamError(`connection failed: ${e.message}`, 'network')))
    res.on('end', () => x.bodyEnded())
  })
  request.end(body)
  return () => request.destroy()
}

/** the request over a plain TCP connection of its own; returns how to tear it down */
function overNet(url: URL, headers: Record<string, string | number>, body: string, x: Exchange): () => void {
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\n`
  if (!('host' in headers)) head += `host: ${url.host}\r\n`
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`
  head += 'connection: close\r\n\r\n'
  const res = new HttpResponse()
  const errorText = errorBody((t) => x.httpError(res.status, res.statusText, t))
  // stamped per frame as node:http's 'data' events were: frames that one late read finds together
  // keep their own stamps and order (vLLM's bench stamps each event as it reaches it, too)
  const onSegment = (buf: Buffer, start: number, end: number) => {
    if (!x.count(end - start)) return
    if (res.status >= 300) return errorText.add(buf, start, end)
    // after [DONE] the rest of the body is only read to its end
    if (x.settled()) return
    const t = performance.now()
    const tokens = x.sse.feed(buf, start, end)
    // events written together carry all their tokens at one stamp: the gap before them is spread
    // over them (ITL smoothing, flagged in the result), never a run of 0 ms intervals
    if (tokens > 0) x.sink.onTokens(tokens, t)
    if (x.sse.done) x.doneRead()
  }
  const ended = () => (res.status < 300 ? x.bodyEnded() : x.httpError(res.status, res.statusText, errorText.text()))
  const socket = net.connect({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 80),
    noDelay: true,
    onread: {
      buffer: readBuffer,
      callback: (n: number, buf: Uint8Array) => {
        if (x.closed()) return false
        try {
          res.push(buf as Buffer, n, onSegment)
        } catch (e) {
          x.fail(e)
          return false
        }
        if (res.ended && !x.closed()) ended()
        return true
      },
    },
  })
  socket.on('error', connectionFailed(x))
  socket.on('end', () => {
    if (x.closed()) return
    // after [DONE], the server closing the connection ends the body as well as anything
    if (x.settled()) return x.bodyEnded()
    if (res.status === 0) return x.fail(new StreamError('connection failed: socket hang up (ECONNRESET)', 'network'))
    if (res.untilClose) return ended()
    x.fail(new StreamError('connection failed: the server closed the stream mid-response', 'network'))
  })
  // (checked first: building an error captures a stack, and every socket closes)
  socket.on('close', () => !x.settled() && x.fail(new StreamError('connection failed: the server closed the stream mid-response', 'network')))
  socket.write(head + body)
  return () => socket.destroy()
}
