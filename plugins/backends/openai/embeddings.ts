/**
 * One /v1/embeddings request (the OpenAI embeddings API: POST { model, input }, answered with
 * { data: [{ embedding: [...] }], usage: { prompt_tokens } }), as llama.cpp's server (started with
 * --embeddings and a pooling other than none) and vLLM (a pooling model) serve it. Not streamed: the
 * request's latency is the whole exchange, and the tokens it cost are the prompt tokens the server
 * counted. The body is read up to a bound, as a streamed response is.
 */
import { performance } from 'node:perf_hooks'
import { StreamError, tooLarge } from './sse-parser.js'

export interface EmbeddingRequest {
  url: string
  body: Record<string, unknown>
  headers: Record<string, string>
  timeoutMs: number
  signal?: AbortSignal
  maxResponseBytes: number
}

export interface EmbeddingOutcome {
  /** usage.prompt_tokens: what the server charged; null when it did not say */
  promptTokens: number | null
  /** how many vectors came back, and the length of the first */
  vectors: number
  dimensions: number
  /** performance.now() once the whole body was read */
  endMs: number
  /** the caller's signal ended it (the run stopping): nothing was measured */
  aborted: boolean
}

export async function requestEmbedding(req: EmbeddingRequest): Promise<EmbeddingOutcome> {
  const signal = req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]) : AbortSignal.timeout(req.timeoutMs)
  let res: Response
  let text: string
  try {
    res = await fetch(req.url, { method: 'POST', headers: { 'content-type': 'application/json', ...req.headers }, body: JSON.stringify(req.body), signal })
    text = await boundedText(res, req.maxResponseBytes)
  } catch (e) {
    if (req.signal?.aborted) return { promptTokens: null, vectors: 0, dimensions: 0, endMs: performance.now(), aborted: true }
    if (e instanceof StreamError) throw e
    if ((e as Error)?.name === 'TimeoutError') throw new StreamError(`no complete embeddings response from ${req.url} within ${req.timeoutMs} ms (backend option requestTimeoutMs)`, 'timeout')
    throw new StreamError(`embeddings request to ${req.url} failed: ${errorText(e)}`, 'network')
  }
  const endMs = performance.now()
  if (!res.ok) throw new StreamError(`HTTP ${res.status} from ${req.url}: `, 'http', text, 300)
  let parsed: { data?: { embedding?: unknown }[]; usage?: { prompt_tokens?: unknown } }
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new StreamError(`malformed embeddings response from ${req.url}: `, 'malformed', text, 120)
  }
  const data = Array.isArray(parsed?.data) ? parsed.data : null
  // a reply without a vector embedded nothing: a failed request, never a measured one
  if (data === null || data.length === 0 || !Array.isArray(data[0]?.embedding) && typeof data[0]?.embedding !== 'string')
    throw new StreamError(`the embeddings response from ${req.url} has no data[].embedding: `, 'malformed', text, 120)
  const first = data[0].embedding
  const tokens = parsed.usage?.prompt_tokens
  return { promptTokens: typeof tokens === 'number' ? tokens : null, vectors: data.length, dimensions: Array.isArray(first) ? first.length : 0, endMs, aborted: false }
}

async function boundedText(res: Response, limit: number): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge(`the embeddings response passed ${limit} bytes (backend option maxResponseBytes)`)
    }
    parts.push(value)
  }
  return Buffer.concat(parts).toString('utf8')
}

function errorText(e: unknown): string {
  const cause = (e as { cause?: { message?: string } })?.cause?.message
  return `${e instanceof Error ? e.message : String(e)}${cause ? ` (${cause})` : ''}`
}
