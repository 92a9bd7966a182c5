/**
 * One streaming request to an OpenAI-compatible server, timed chunk by chunk. Every network read is
 * stamped with performance.now() the moment it resolves, and every SSE event parsed from that read
 * carries that stamp (the server sent them together). Token counts come from the server's usage when
 * it sends them (per chunk with continuous usage, else at the end), else one per content chunk.
 */
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

export async function streamCompletion(req: StreamRequest, sink: TokenSink): Promise<StreamOutcome> {
  const timeout = AbortSignal.timeout(req.timeoutMs)
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
  let res: Response
  try {
    res = await fetch(req.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...req.headers }, body: JSON.stringify(req.body), signal })
  } catch (e) {
    throw failure(e, timeout, req.timeoutMs)
  }
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '')
    throw new StreamError(`HTTP ${res.status} ${res.statusText}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`, 'http')
  }
  const out: StreamOutcome = { promptTokens: null, completionTokens: null, chunkTokens: 0, finishReason: 'stop' }
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let done = false
  try {
    while (!done) {
      const { value, done: end } = await reader.read()
      const t = performance.now()
      if (end) break
      buffer += decoder.decode(value, { stream: true })
      let cut: number
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const event = buffer.slice(0, cut)
        buffer = buffer.slice(cut + (buffer[cut] === '\r' ? 4 : 2))
        const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n')
        if (data === '') continue
        if (data === '[DONE]') {
          done = true
          break
        }
        handleEvent(data, t, req.chat, out, sink)
      }
    }
  } catch (e) {
    if (e instanceof StreamError) throw e
    throw failure(e, timeout, req.timeoutMs)
  } finally {
    reader.releaseLock()
  }
  if (!done && out.chunkTokens === 0 && out.completionTokens === null) throw new StreamError('the stream ended without data or [DONE]', 'malformed')
  return out
}

function handleEvent(data: string, t: number, chat: boolean, out: StreamOutcome, sink: TokenSink): void {
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
    sink.onTokens(carried, t)
  }
  if (choice?.finish_reason === 'length') out.finishReason = 'length'
}

function failure(e: unknown, timeout: AbortSignal, ms: number): StreamError {
  if (timeout.aborted) return new StreamError(`request timed out after ${ms} ms`, 'timeout')
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (err?.name === 'AbortError') return new StreamError('request aborted', 'network')
  const cause = err?.cause?.code ?? err?.cause?.message
  return new StreamError(`connection failed: ${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}`, 'network')
}
