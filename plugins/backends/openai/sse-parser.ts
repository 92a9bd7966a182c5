/**
 * Server-sent events of an OpenAI-compatible stream, over bytes, and what one response may make the
 * client hold (sse-stream.ts does the HTTP). Events are read in place where they can be (chunk-scan.ts),
 * else with JSON.parse.
 */
import { scanChunk, type ChunkFields } from './chunk-scan.js'

/**
 * What one response may make the client hold or read. A server that is hostile or broken (endless
 * `data:` lines, a body without a newline, an endless body) would otherwise grow a line or an event
 * until the worker runs out of memory; past a limit the request fails and the connection is closed.
 */
export interface StreamLimits {
  /** bytes of one line (what the client must keep until its newline arrives) */
  maxLineBytes: number
  /** bytes of data of one event (its `data:` lines, kept until the blank line that ends it) */
  maxEventBytes: number
  /** bytes of the whole response body: not held, but read, and an endless stream is a broken server */
  maxResponseBytes: number
}

// Generous: an ordinary event is a few hundred bytes, and one carrying top-20 logprobs of a token about
// a kilobyte; yet 8 requests in flight at both limits hold under 200 MB, which a worker survives.
export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxLineBytes: 8 * 1024 ** 2, maxEventBytes: 16 * 1024 ** 2, maxResponseBytes: 1024 ** 3 }

export interface StreamOutcome {
  promptTokens: number | null
  completionTokens: number | null
  /** the prompt tokens the server's prefix cache supplied (usage.prompt_tokens_details.cached_tokens), when it said */
  cachedTokens?: number | null
  /** tokens counted from chunks (what the sink was told) */
  chunkTokens: number
  finishReason: 'length' | 'stop' | 'aborted'
  /** the reply's text, when the request asked to keep it (StreamRequest.keepText) */
  text?: string
}

/** the most of a server's text an error quotes before it is cut (bounds what crosses from a client thread) */
const QUOTE_KEEP = 4096

export class StreamError extends Error {
  /**
   * `quote`: what the server sent, quoted at the end of the message. It is kept whole here (up to 4 KiB)
   * and cut to `quoteChars` only by `cutQuote`, where the request's error is recorded, after its
   * secrets are masked: a client thread does not know the run's secrets, and a secret the server
   * echoed, cut in two, would no longer be recognised by value.
   */
  constructor(
    readonly head: string,
    readonly kind: 'http' | 'malformed' | 'network' | 'timeout' | 'limit',
    readonly quote: string | null = null,
    readonly quoteChars = 200,
  ) {
    super(quote === null ? head : head + quote.slice(0, QUOTE_KEEP))
    this.name = 'StreamError'
  }

  /** The message with its quote masked by `mask` (the run's secrets) and then cut to quoteChars. */
  cutQuote(mask: (text: string, max: number) => string): this {
    if (this.quote !== null) this.message = this.head + mask(this.quote.slice(0, QUOTE_KEEP), this.quoteChars)
    return this
  }

  /** body bytes the client had read when the request failed */
  bytesReceived = 0
}

export const tooLarge = (what: string) => new StreamError(`response too large: ${what}`, 'limit')

/**
 * SSE over bytes: lines are cut in the buffer, and a lone `data:` value is read in place when its
 * event ends in the same read (the usual case); otherwise values become strings. A line split across
 * reads or chunked frames is copied and carried over, so a multi-byte character is never cut. What is
 * carried over is bounded: a line by maxLineBytes, an event's data by maxEventBytes.
 */
export class SseParser {
  done = false
  /** the start of a line whose newline has not arrived yet, in pieces (joined once, when it does) */
  private partial: Buffer[] = []
  private partialBytes = 0
  /** data bytes of the current event so far */
  private eventBytes = 0
  private data: string | null = null
  /** the current event's only data value, still in the buffer being fed (-1: none) */
  private rawStart = -1
  private rawEnd = -1
  private readonly fields: ChunkFields = { usage: false, promptTokens: NaN, completionTokens: NaN, content: false, finishLength: false, contentStart: -1, contentEnd: -1, contentEscaped: false }

  constructor(
    private readonly chat: boolean,
    private readonly out: StreamOutcome,
    private readonly limits: StreamLimits,
    /** the reply's text pieces, in order, when the caller keeps them (a conversation's next turn
     *  carries the reply); null: only counted, as a single-turn load needs */
    private readonly reply: string[] | null = null,
  ) {}

  /** Parses bytes [start, end) of `buf`; returns how many tokens the events completed in them carried. */
  feed(buf: Buffer, start: number, end: number): number {
    let tokens = 0
    let pos = start
    while (pos < end && !this.done) {
      const nl = buf.indexOf(10, pos)
      if (nl < 0 || nl >= end) {
        this.checkLine(this.partialBytes + end - pos)
        this.partial.push(Buffer.from(buf.subarray(pos, end)))
        this.partialBytes += end - pos
        break
      }
      let line = buf
      let ls = pos
      let le = nl
      pos = nl + 1
      this.checkLine(this.partialBytes + le - ls)
      if (this.partialBytes > 0) {
        this.partial.push(buf.subarray(ls, le))
        line = Buffer.concat(this.partial, this.partialBytes + le - ls)
        ls = 0
        le = line.length
        this.partial = []
        this.partialBytes = 0
      }
      if (le > ls && line[le - 1] === 13) le--
      if (le === ls) {
        // a blank line ends the event
        this.eventBytes = 0
        if (this.rawStart >= 0) {
          tokens += this.rawEvent(buf)
          continue
        }
        const data = this.data
        this.data = null
        if (data === null || data === '') continue
        if (data === '[DONE]') this.done = true
        else tokens += handleEvent(data, this.chat, this.out, this.fields, this.reply)
      } else if (le - ls >= 5 && line[ls] === 100 && line[ls + 1] === 97 && line[ls + 2] === 116 && line[ls + 3] === 97 && line[ls + 4] === 58) {
        this.eventBytes += le - ls - 5
        if (this.eventBytes > this.limits.maxEventBytes) throw tooLarge(`an SSE event passed ${this.limits.maxEventBytes} bytes of data without the blank line that ends it (backend option maxEventBytes)`)
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

  private checkLine(bytes: number): void {
    if (bytes > this.limits.maxLineBytes) throw tooLarge(`a line passed ${this.limits.maxLineBytes} bytes without a newline (backend option maxLineBytes)`)
  }

  private decodeRaw(buf: Buffer): void {
    if (this.rawStart < 0) return
    this.data = buf.toString('utf8', this.rawStart, this.rawEnd).trimStart()
    this.rawStart = -1
  }

  private rawEvent(buf: Buffer): number {
    const start = this.rawStart
    this.rawStart = -1
    if (scanChunk(buf, start, this.rawEnd, this.chat, this.fields, this.reply !== null)) {
      if (this.reply !== null && this.fields.content) this.reply.push(contentText(buf, this.fields))
      return applyChunk(this.fields, this.out)
    }
    const data = buf.toString('utf8', start, this.rawEnd).trimStart()
    if (data === '') return 0
    if (data === '[DONE]') {
      this.done = true
      return 0
    }
    return handleEvent(data, this.chat, this.out, this.fields, this.reply)
  }
}

/** Parses one SSE event with JSON.parse into `out`; returns how many tokens it carried. */
function handleEvent(data: string, chat: boolean, out: StreamOutcome, f: ChunkFields, reply: string[] | null): number {
  let chunk: { choices?: { text?: string; delta?: { content?: string | null }; finish_reason?: string | null }[]; usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: unknown } | null }; error?: unknown }
  try {
    chunk = JSON.parse(data)
  } catch {
    throw new StreamError('malformed SSE data: ', 'malformed', data, 120)
  }
  // valid JSON that is not a chunk object (null, a number, a list) is as malformed as broken JSON
  if (chunk === null || typeof chunk !== 'object' || Array.isArray(chunk)) throw new StreamError('malformed SSE data: ', 'malformed', data, 120)
  if (chunk.error) throw new StreamError('server error in stream: ', 'http', JSON.stringify(chunk.error))
  const choice = chunk.choices?.[0]
  const content = chat ? choice?.delta?.content : choice?.text
  f.content = Boolean(content)
  if (reply !== null && f.content && typeof content === 'string') reply.push(content)
  f.finishLength = choice?.finish_reason === 'length'
  f.usage = Boolean(chunk.usage)
  f.promptTokens = f.usage && typeof chunk.usage!.prompt_tokens === 'number' ? chunk.usage!.prompt_tokens : NaN
  f.completionTokens = f.usage && typeof chunk.usage!.completion_tokens === 'number' ? chunk.usage!.completion_tokens : NaN
  const cached = f.usage ? chunk.usage!.prompt_tokens_details?.cached_tokens : undefined
  f.cachedTokens = typeof cached === 'number' ? cached : NaN
  return applyChunk(f, out)
}

/** The content string the scan found, decoded: as bytes when it holds no escape, else by JSON.parse. */
function contentText(buf: Buffer, f: ChunkFields): string {
  const s = f.contentStart!
  const e = f.contentEnd!
  return f.contentEscaped ? (JSON.parse(buf.toString('utf8', s, e)) as string) : buf.toString('utf8', s + 1, e - 1)
}

/** Folds one chunk's fields into `out`; returns how many tokens it carried. */
function applyChunk(f: ChunkFields, out: StreamOutcome): number {
  const before = out.completionTokens
  if (f.usage) {
    if (!Number.isNaN(f.promptTokens)) out.promptTokens = f.promptTokens
    if (!Number.isNaN(f.completionTokens)) out.completionTokens = f.completionTokens
    if (f.cachedTokens !== undefined && !Number.isNaN(f.cachedTokens)) out.cachedTokens = f.cachedTokens
  }
  if (f.finishLength) out.finishReason = 'length'
  if (!f.content) return 0
  // continuous usage (vLLM's continuous_usage_stats) says how many tokens this chunk carried
  const carried = f.usage && out.completionTokens !== null ? Math.max(1, out.completionTokens - (before ?? 0)) : 1
  out.chunkTokens += carried
  return carried
}
