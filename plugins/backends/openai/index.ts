/**
 * The `openai` backend: any OpenAI-compatible server (vLLM, TensorRT-LLM, SGLang, TGI, llama.cpp's
 * server), driven through /v1/completions or /v1/chat/completions with true per-token streaming. The
 * served model name is the shared `model` field; the API key is read from the environment variable
 * named by `apiKeyEnv` and never written anywhere.
 */
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import type { Backend, BackendContext, BackendSession, GenerateRequest, GenerateResult, TokenSink } from 'llem/plugin/runtime'
import { InputError, LlemError, lazySchema, redactedPrefix } from 'llem/plugin/runtime'
import { clientRequestOptions } from './client-options.js'
import { DEFAULT_STREAM_LIMITS, StreamError, streamCompletion } from './sse-stream.js'
import { requestEmbedding } from './embeddings.js'
import { ClientThreads } from './client-threads.js'
import { samplingFields, type SamplingEngine } from './sampling-fields.js'

export const openaiOptionsSchema = lazySchema((z) =>
  z.strictObject({
    baseURL: z.string().url(),
    /** embeddings: /v1/embeddings, one vector per prompt, nothing generated (J per embedded token) */
    endpoint: z.enum(['completions', 'chat', 'embeddings']).optional(),
    ...clientRequestOptions(z),
  }),
)
export type OpenAIOptions = z.infer<typeof openaiOptionsSchema>

async function json(url: string, init?: RequestInit): Promise<unknown | null> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) })
    return res.ok ? await res.json() : null
  } catch {
    return null
  }
}

/** sampling fields a user may pin through extraBody that llem does not always send: recorded with the rest */
const SERVER_DEFAULTS_NOTE_FIELDS = ['top_p', 'top_k', 'min_p', 'repetition_penalty', 'repeat_penalty', 'presence_penalty', 'frequency_penalty']

/**
 * A session against a running server; `managed` backends reuse it once their server is up, naming the
 * engine they started (`internal.engine`): which sampling fields it takes (sampling-fields.ts).
 */
export async function openaiSession(options: OpenAIOptions, ctx: Pick<BackendContext, 'generation' | 'log'> & { model: unknown }, extra: Partial<BackendSession> = {}, internal: { engine?: SamplingEngine } = {}): Promise<BackendSession> {
  const model = typeof ctx.model === 'string' ? ctx.model : null
  if (model === null) throw new InputError('BENCH_INVALID', 'the openai backend needs `model`: the served model name (a string)')
  // user:password@ in baseURL: fetch refuses a URL with credentials, so they travel as HTTP Basic
  // auth (RFC 7617) and the URL used, and recorded, has none
  const parsed = new URL(options.baseURL)
  const basic = parsed.username || parsed.password ? Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64') : null
  parsed.username = parsed.password = ''
  const base = parsed.href.replace(/\/+$/, '')
  const origin = parsed.origin
  const chat = options.endpoint === 'chat'
  const embeddings = options.endpoint === 'embeddings'
  const headers: Record<string, string> = basic ? { authorization: `Basic ${basic}` } : {}
  if (options.apiKeyEnv) {
    const key = process.env[options.apiKeyEnv]
    if (!key) throw new LlemError('BACKEND_FAILED', `apiKeyEnv names ${options.apiKeyEnv}, but that environment variable is not set`)
    headers.authorization = `Bearer ${key}`
  }
  const models = (await json(`${base}/models`, { headers })) as { data?: { id: string }[] } | null
  if (models === null) throw new LlemError('BACKEND_FAILED', `no OpenAI-compatible server answers at ${base}/models`)
  if (models.data && !models.data.some((m) => m.id === model)) ctx.log(`model "${model}" is not in ${base}/models (${models.data.map((m) => m.id).join(', ')}): the server may still accept it`)
  // engines name their version in different places: vLLM and TensorRT-LLM /version, llama.cpp /props
  const engineVersion = ((await json(`${origin}/version`)) as { version?: string } | null)?.version ?? null
  const buildInfo = engineVersion === null ? (((await json(`${origin}/props`)) as { build_info?: string } | null)?.build_info ?? null) : null
  const version = engineVersion ?? buildInfo
  const engine: SamplingEngine = internal.engine ?? (buildInfo !== null ? 'llama.cpp' : engineVersion !== null ? 'engine' : 'unknown')
  const g = ctx.generation
  const limits = {
    maxLineBytes: options.maxLineBytes ?? DEFAULT_STREAM_LIMITS.maxLineBytes,
    maxEventBytes: options.maxEventBytes ?? DEFAULT_STREAM_LIMITS.maxEventBytes,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_STREAM_LIMITS.maxResponseBytes,
  }
  // a body left open after [DONE] is worth one line in the log, not one per request
  let noted = false
  const onNote = (note: string) => {
    if (!noted) ctx.log(`${note} (logged once per experiment)`)
    noted = true
  }
  const samplingSent = samplingFields(g, engine)
  const sampling = { max_tokens: 0, ...samplingSent, seed: g.seed, ...(g.ignoreEos ? { ignore_eos: true } : {}) }
  // llama.cpp's server, vLLM, SGLang and TensorRT-LLM's trtllm-serve honour ignore_eos; extraBody has the last word
  const ignoresEos = (options.extraBody?.ignore_eos ?? g.ignoreEos) === true
  const tokenizer = {
    // vLLM and llama.cpp's server both offer these (fields differ; both are sent). The count is the
    // one a completions prompt is charged: with the BOS the server adds (vLLM adds it by default,
    // llama.cpp's server when add_special is set)
    async tokenize(text: string): Promise<number[]> {
      const r = (await json(`${origin}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, prompt: text, content: text, add_special: true }) })) as { tokens?: number[] } | null
      if (!r?.tokens) throw new LlemError('BACKEND_FAILED', `${origin}/tokenize is not available: synthetic datasets and input token counts without usage need it`)
      return r.tokens
    },
    async detokenize(tokens: number[]): Promise<string> {
      const r = (await json(`${origin}/detokenize`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, tokens }) })) as { prompt?: string; content?: string } | null
      const text = r?.prompt ?? r?.content
      if (typeof text !== 'string') throw new LlemError('BACKEND_FAILED', `${origin}/detokenize is not available`)
      return text
    },
  }
  // an embeddings request: not streamed, so its latency is the whole exchange and it has no tokens out
  const embed = async (request: GenerateRequest): Promise<GenerateResult> => {
    const body = { model, input: request.prompt, encoding_format: 'float', ...options.extraBody }
    const r = await requestEmbedding({ url: `${base}/embeddings`, body, headers, timeoutMs: options.requestTimeoutMs ?? 120_000, signal: request.signal, maxResponseBytes: limits.maxResponseBytes })
    if (r.aborted) return { inputTokens: 0, outputTokens: 0, finishReason: 'aborted', endMs: r.endMs }
    // without usage, the prompt is counted after the response ended: not part of its latency
    const inputTokens = r.promptTokens ?? (await tokenizer.tokenize(request.prompt)).length
    return { inputTokens, outputTokens: 0, finishReason: 'stop', endMs: r.endMs }
  }
  // load.clientThreads > 1: the streams run on worker threads while a load holds them
  let threads: ClientThreads | null = null
  const generateOne = async (request: GenerateRequest, sink: TokenSink): Promise<GenerateResult> => {
    if (embeddings) return embed(request)
    const body = {
      model,
      ...(chat ? { messages: request.messages ?? [{ role: 'user', content: request.prompt }] } : { prompt: request.prompt }),
      ...sampling,
      max_tokens: request.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
      ...options.extraBody,
    }
    const streamRequest = { url: `${base}/${chat ? 'chat/completions' : 'completions'}`, body, headers, timeoutMs: options.requestTimeoutMs ?? 120_000, signal: request.signal, chat, limits, onNote, keepText: request.messages !== undefined }
    // on the client threads (load.clientThreads) the thread stamps the end itself, as it does the chunks
    const { endMs, ...r } = threads ? await threads.stream(streamRequest, sink) : { ...(await streamCompletion(streamRequest, sink)), endMs: performance.now() }
    // without usage, the prompt is counted after the response ended: not part of its latency
    const inputTokens = r.promptTokens ?? (await tokenizer.tokenize(request.messages ? request.messages.map((m) => m.content).join('\n') : request.prompt)).length
    return { inputTokens, outputTokens: r.completionTokens ?? r.chunkTokens, finishReason: r.finishReason, endMs, ...(typeof r.cachedTokens === 'number' ? { cachedInputTokens: r.cachedTokens } : {}), ...(r.text !== undefined ? { text: r.text } : {}) }
  }
  return {
    backendVersion: version,
    model: { name: model, path: null, file_size_mb: null, parameters: null, architecture: null, shape: null, precision: null },
    // an embedding arrives whole: no token is timed apart from its request
    latencyMode: embeddings ? 'PER_REQUEST_BATCH' : 'TRUE_STREAMING',
    task: embeddings ? 'embeddings' : 'generate',
    software: { server: version },
    settings: {
      base_url: base,
      endpoint: options.endpoint ?? 'completions',
      request_timeout_ms: options.requestTimeoutMs ?? 120_000,
      extra_body: options.extraBody ?? {},
      // what each request says about sampling (extra_body overrides it), and what the server was taken for
      sampling_fields: { ...samplingSent, ...Object.fromEntries(Object.entries(options.extraBody ?? {}).filter(([k]) => k in samplingSent || SERVER_DEFAULTS_NOTE_FIELDS.includes(k))) },
      sampling_engine: engine,
      max_line_bytes: limits.maxLineBytes,
      max_event_bytes: limits.maxEventBytes,
      max_response_bytes: limits.maxResponseBytes,
    },
    outputLengths: ignoresEos && !embeddings ? 'enforced' : 'capped',
    // a history of turns goes through the chat endpoint, which applies the model's chat template
    conversations: chat,
    tokenizer,
    async generate(request, sink) {
      try {
        return await generateOne(request, sink)
      } catch (e) {
        // the server's text an error quotes is cut here, its secrets masked first (StreamError)
        throw e instanceof StreamError ? e.cutQuote(redactedPrefix) : e
      }
    },
    async startClientThreads(count) {
      if (threads) throw new LlemError('BACKEND_FAILED', 'load.clientThreads: the client threads are already running')
      const pool = await ClientThreads.start(count, onNote)
      threads = pool
      return {
        measure: () => pool.measure(),
        async stop() {
          threads = null
          return pool.stop()
        },
      }
    },
    async close() {},
    ...extra,
  }
}

export const openaiBackend: Backend<OpenAIOptions> = {
  name: 'openai',
  options: openaiOptionsSchema,
  async validate({ model, where }) {
    if (typeof model !== 'string') throw new InputError('BENCH_INVALID', `${where}: the openai backend needs \`model\`: the served model name (a string)`)
  },
  start: (ctx) => openaiSession(ctx.options, ctx),
}
