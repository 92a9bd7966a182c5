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
import type { TokenSink } from '../../../core/backends/types.js'
import { scanChunk, type ChunkFields } from './chunk-scan.js'
import { HttpProtocolError, HttpResponse } from './http-response.js'

export interface StreamRequest {
  url: string
  body: Record<string, unknown>
  headers: Record<string, string>
  timeoutMs: number
  signal?: AbortSignal
  chat: boolean
}

export interface StreamOutcome {
  promptTokens: number | null
  completionTokens: number | null
  /** tokens counted from chunks (what the sink was told) */
  chunkTokens: number
  finishReason: 'length' | 'stop' | 'aborted'
}

export class StreamError extends Error {
  constructor(
    message: string,
    readonly kind: 'http' | 'malformed' | 'network' | 'timeout',
  ) {
    super(message)
    this.name = 'StreamError'
  }
}

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
  settled(): boolean
  fail(e: unknown): void
  /** the body ended with a 2xx status */
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
    const out: StreamOutcome = { promptTokens: null, completionTokens: null, chunkTokens: 0, finishReason: 'stop' }
    const sse = new SseParser(req.chat, out)
    let settled = false
    let teardown = () => {}
    const settle = (e: StreamError | null) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.signal?.removeEventListener('abort', onAbort)
      teardown()
      if (e) reject(e)
      else resolve(out)
    }
    const fail = (e: unknown) =>
      settle(e instanceof StreamError ? e : e instanceof HttpProtocolError ? new StreamError(`connection failed: ${e.message}`, 'network') : new StreamError(String(e), 'malformed'))
    const timer = setTimeout(() => fail(new StreamError(`request timed out after ${req.timeoutMs} ms`, 'timeout')), req.timeoutMs)
    const onAbort = () => fail(new StreamError('request aborted', 'network'))
    req.signal?.addEventListener('abort', onAbort, { once: true })
    const x: Exchange = {
      sse,
      sink,
      settled: () => settled,
      fail,
      bodyEnded() {
        if (!sse.done && out.chunkTokens === 0 && out.completionTokens === null) return fail(new StreamError('the stream ended without data or [DONE]', 'malformed'))
        if (!sse.done) return fail(new StreamError('connection failed: the stream ended before [DONE]', 'network'))
        settle(null)
      },
      httpError: (status, message, text) => fail(new StreamError(`HTTP ${status} ${message}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`, 'http')),
    }
    teardown = url.protocol === 'https:' ? overHttps(url, headers, body, x) : overNet(url, headers, body, x)
  })
}

const connectionFailed = (x: Exchange) => (e: NodeJS.ErrnoException) => x.fail(new StreamError(`connection failed: ${e.message}${e.code ? ` (${e.code})` : ''}`, 'network'))

/** the request through node:https; returns how to tear it down */
function overHttps(url: URL, headers: Record<string, string | number>, body: string, x: Exchange): () => void {
  const request = https.request(url, { method: 'POST', agent: httpsAgent, headers })
  request.on('error', connectionFailed(x))
  request.on('response', (res) => {
    if ((res.statusCode ?? 0) >= 300) {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => x.httpError(res.statusCode ?? 0, res.statusMessage ?? '', text))
      return
    }
    res.on('data', (piece: Buffer) => {
      const t = performance.now()
      let tokens: number
      try {
        tokens = x.sse.feed(piece, 0, piece.length)
      } catch (e) {
        return x.fail(e)
      }
      if (tokens > 0) x.sink.onTokens(tokens, t)
    })
    res.on('aborted', () => x.fail(new StreamError('connection failed: the server closed the stream mid-response', 'network')))
    res.on('error', (e) => x.fail(new StreamError(`connection failed: ${e.message}`, 'network')))
    res.on('end', () => !x.settled() && x.bodyEnded())
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
  let errorText = ''
  // stamped per frame as node:http's 'data' events were: frames that one late read finds together
  // keep their own stamps and order (vLLM's bench stamps each event as it reaches it, too)
  const onSegment = (buf: Buffer, start: number, end: number) => {
    if (res.status >= 300) {
      if (errorText.length < 4096) errorText += buf.toString('utf8', start, end)
      return
    }
    const t = performance.now()
    const tokens = x.sse.feed(buf, start, end)
    // events written together carry all their tokens at one stamp: the gap before them is spread
    // over them (ITL smoothing, flagged in the result), never a run of 0 ms intervals
    if (tokens > 0) x.sink.onTokens(tokens, t)
  }
  const ended = () => (res.status < 300 ? x.bodyEnded() : x.httpError(res.status, res.statusText, errorText))
  const socket = net.connect({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 80),
    noDelay: true,
    onread: {
      buffer: readBuffer,
      callback: (n: number, buf: Uint8Array) => {
        if (x.settled()) return false
        try {
          res.push(buf as Buffer, n, onSegment)
        } catch (e) {
          x.fail(e)
          return false
        }
        if (res.ended) ended()
        return true
      },
    },
  })
  socket.on('error', connectionFailed(x))
  socket.on('end', () => {
    if (x.settled()) return
    if (res.status === 0) return x.fail(new StreamError('connection failed: socket hang up (ECONNRESET)', 'network'))
    if (res.untilClose) return ended()
    x.fail(new StreamError('connection failed: the server closed the stream mid-response', 'network'))
  })
  // (checked first: building an error captures a stack, and every socket closes)
  socket.on('close', () => !x.settled() && x.fail(new StreamError('connection failed: the server closed the stream mid-response', 'network')))
  socket.write(head + body)
  return () => socket.destroy()
}

/**
 * SSE over bytes: lines are cut in the buffer, and a lone `data:` value is read in place when its
 * event ends in the same read (the usual case); otherwise values become strings. A line split across
 * reads or chunked frames is copied and carried over, so a multi-byte character is never cut.
 */
class SseParser {
  done = false
  private partial: Buffer | null = null
  private data: string | null = null
  /** the current event's only data value, still in the buffer being fed (-1: none) */
  private rawStart = -1
  private rawEnd = -1
  private readonly fields: ChunkFields = { usage: false, promptTokens: NaN, completionTokens: NaN, content: false, finishLength: false }

  constructor(
    private readonly chat: boolean,
    private readonly out: StreamOutcome,
  ) {}

  /** Parses bytes [start, end) of `buf`; returns how many tokens the events completed in them carried. */
  feed(buf: Buffer, start: number, end: number): number {
    let tokens = 0
    let pos = start
    while (pos < end && !this.done) {
      const nl = buf.indexOf(10, pos)
      if (nl < 0 || nl >= end) {
        this.partial = this.partial ? Buffer.concat([this.partial, buf.subarray(pos, end)]) : Buffer.from(buf.subarray(pos, end))
        break
      }
      let line = buf
      let ls = pos
      let le = nl
      pos = nl + 1
      if (this.partial) {
        line = Buffer.concat([this.partial, buf.subarray(ls, le)])
        ls = 0
        le = line.length
        this.partial = null
      }
      if (le > ls && line[le - 1] === 13) le--
      if (le === ls) {
        // a blank line ends the event
        if (this.rawStart >= 0) {
          tokens += this.rawEvent(buf)
          continue
        }
        const data = this.data
        this.data = null
        if (data === null || data === '') continue
        if (data === '[DONE]') this.done = true
        else tokens += handleEvent(data, this.chat, this.out, this.fields)
      } else if (le - ls >= 5 && line[ls] === 100 && line[ls + 1] === 97 && line[ls + 2] === 116 && line[ls + 3] === 97 && line[ls + 4] === 58) {
        if (line === buf && this.data === null && this.rawStart < 0) {
          this.rawStart = ls + 5
          this.rawEnd = le
          continue
        }
        this.decodeRaw(buf)
        const value = line.toString('utf8', ls + 5, le).trimStart()
        this.data = this.data === null ? value : `${this.data}\n${value}`
      }
    }
    // nothing may point into `buf` past this call
    this.decodeRaw(buf)
    return tokens
  }

  private decodeRaw(buf: Buffer): void {
    if (this.rawStart < 0) return
    this.data = buf.toString('utf8', this.rawStart, this.rawEnd).trimStart()
    this.rawStart = -1
  }

  private rawEvent(buf: Buffer): number {
    const start = this.rawStart
    this.rawStart = -1
    if (scanChunk(buf, start, this.rawEnd, this.chat, this.fields)) return applyChunk(this.fields, this.out)
    const data = buf.toString('utf8', start, this.rawEnd).trimStart()
    if (data === '') return 0
    if (data === '[DONE]') {
      this.done = true
      return 0
    }
    return handleEvent(data, this.chat, this.out, this.fields)
  }
}

/** Parses one SSE event with JSON.parse into `out`; returns how many tokens it carried. */
function handleEvent(data: string, chat: boolean, out: StreamOutcome, f: ChunkFields): number {
  let chunk: { choices?: { text?: string; delta?: { content?: string | null }; finish_reason?: string | null }[]; usage?: { prompt_tokens?: number; completion_tokens?: number }; error?: unknown }
  try {
    chunk = JSON.parse(data)
  } catch {
    throw new StreamError(`malformed SSE data: ${data.slice(0, 120)}`, 'malformed')
  }
  // valid JSON that is not a chunk object (null, a number, a list) is as malformed as broken JSON
  if (chunk === null || typeof chunk !== 'object' || Array.isArray(chunk)) throw new StreamError(`malformed SSE data: ${data.slice(0, 120)}`, 'malformed')
  if (chunk.error) throw new StreamError(`server error in stream: ${JSON.stringify(chunk.error).slice(0, 200)}`, 'http')
  const choice = chunk.choices?.[0]
  f.content = Boolean(chat ? choice?.delta?.content : choice?.text)
  f.finishLength = choice?.finish_reason === 'length'
  f.usage = Boolean(chunk.usage)
  f.promptTokens = f.usage && typeof chunk.usage!.prompt_tokens === 'number' ? chunk.usage!.prompt_tokens : NaN
  f.completionTokens = f.usage && typeof chunk.usage!.completion_tokens === 'number' ? chunk.usage!.completion_tokens : NaN
  return applyChunk(f, out)
}

/** Folds one chunk's fields into `out`; returns how many tokens it carried. */
function applyChunk(f: ChunkFields, out: StreamOutcome): number {
  const before = out.completionTokens
  if (f.usage) {
    if (!Number.isNaN(f.promptTokens)) out.promptTokens = f.promptTokens
    if (!Number.isNaN(f.completionTokens)) out.completionTokens = f.completionTokens
  }
  if (f.finishLength) out.finishReason = 'length'
  if (!f.content) return 0
  // continuous usage (vLLM's continuous_usage_stats) says how many tokens this chunk carried
  const carried = f.usage && out.completionTokens !== null ? Math.max(1, out.completionTokens - (before ?? 0)) : 1
  out.chunkTokens += carried
  return carried
}
