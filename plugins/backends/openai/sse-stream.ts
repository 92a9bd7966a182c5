/**
 * One streaming request to an OpenAI-compatible server, timed chunk by chunk. Every network read is
 * stamped with performance.now() the moment it resolves; the SSE events parsed from that read are one
 * chunk at that stamp (the server sent them together). Token counts come from the server's usage when
 * it sends them (per chunk with continuous usage, else at the end), else one per content chunk.
 */
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import type { TokenSink } from '../../../core/backends/types.js'

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

export function streamCompletion(req: StreamRequest, sink: TokenSink): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url)
    const body = JSON.stringify(req.body)
    const lib = url.protocol === 'https:' ? https : http
    const out: StreamOutcome = { promptTokens: null, completionTokens: null, chunkTokens: 0, finishReason: 'stop' }
    let settled = false
    const fail = (e: StreamError) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.destroy()
      reject(e)
    }
    const timer = setTimeout(() => fail(new StreamError(`request timed out after ${req.timeoutMs} ms`, 'timeout')), req.timeoutMs)
    const onAbort = () => fail(new StreamError('request aborted', 'network'))
    req.signal?.addEventListener('abort', onAbort, { once: true })
    const request = lib.request(url, {
      method: 'POST',
      agent: url.protocol === 'https:' ? httpsAgent : false,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'content-length': Buffer.byteLength(body), ...req.headers },
    })
    request.on('error', (e: NodeJS.ErrnoException) => fail(new StreamError(`connection failed: ${e.message}${e.code ? ` (${e.code})` : ''}`, 'network')))
    request.on('response', (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (text += d))
        res.on('end', () => fail(new StreamError(`HTTP ${res.statusCode} ${res.statusMessage ?? ''}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`, 'http')))
        return
      }
      res.setEncoding('utf8')
      let buffer = ''
      let done = false
      res.on('data', (piece: string) => {
        // one read, one stamp: the events in it are one chunk (the server sent them together)
        const t = performance.now()
        buffer += piece
        let tokens = 0
        let cut: number
        try {
          while (!done && (cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const event = buffer.slice(0, cut)
            buffer = buffer.slice(cut + (buffer[cut] === '\r' ? 4 : 2))
            const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n')
            if (data === '') continue
            if (data === '[DONE]') done = true
            else tokens += handleEvent(data, req.chat, out)
          }
        } catch (e) {
          return fail(e instanceof StreamError ? e : new StreamError(String(e), 'malformed'))
        }
        // events that arrived in one read carry all their tokens at that stamp: the gap before them
        // is spread over them (ITL smoothing, flagged in the result), never a run of 0 ms intervals
        if (tokens > 0) sink.onTokens(tokens, t)
      })
      res.on('aborted', () => fail(new StreamError('connection failed: the server closed the stream mid-response', 'network')))
      res.on('error', (e) => fail(new StreamError(`connection failed: ${e.message}`, 'network')))
      res.on('end', () => {
        if (settled) return
        if (!done && out.chunkTokens === 0 && out.completionTokens === null) return fail(new StreamError('the stream ended without data or [DONE]', 'malformed'))
        if (!done) return fail(new StreamError('connection failed: the stream ended before [DONE]', 'network'))
        settled = true
        clearTimeout(timer)
        req.signal?.removeEventListener('abort', onAbort)
        resolve(out)
      })
    })
    request.end(body)
  })
}

/** Parses one SSE event into `out`; returns how many tokens it carried. */
function handleEvent(data: string, chat: boolean, out: StreamOutcome): number {
  let chunk: { choices?: { text?: string; delta?: { content?: string | null }; finish_reason?: string | null }[]; usage?: { prompt_tokens?: number; completion_tokens?: number }; error?: unknown }
  try {
    chunk = JSON.parse(data)
  } catch {
    throw new StreamError(`malformed SSE data: ${data.slice(0, 120)}`, 'malformed')
  }
  if (chunk.error) throw new StreamError(`server error in stream: ${JSON.stringify(chunk.error).slice(0, 200)}`, 'http')
  const choice = chunk.choices?.[0]
  const content = chat ? choice?.delta?.content : choice?.text
  const before = out.completionTokens
  if (chunk.usage) {
    if (typeof chunk.usage.prompt_tokens === 'number') out.promptTokens = chunk.usage.prompt_tokens
    if (typeof chunk.usage.completion_tokens === 'number') out.completionTokens = chunk.usage.completion_tokens
  }
  if (content) {
    // continuous usage (vLLM's continuous_usage_stats) says how many tokens this chunk carried
    const carried = chunk.usage && out.completionTokens !== null ? Math.max(1, out.completionTokens - (before ?? 0)) : 1
    out.chunkTokens += carried
    if (choice?.finish_reason === 'length') out.finishReason = 'length'
    return carried
  }
  if (choice?.finish_reason === 'length') out.finishReason = 'length'
  return 0
}
