/**
 * The backend contract. A backend starts a session (a loaded model, a managed server, a Python worker)
 * and streams generated tokens to a sink with monotonic timestamps; the harness does all timing maths.
 */
import type { z } from 'zod'
import type { ResolvedExperimentOptions, ResolvedModel } from '../config/defaults.js'

export interface BackendContext<Options = Record<string, unknown>> {
  /** the backend's own options, validated by its schema (without `name`) */
  options: Options
  model: ResolvedModel
  generation: ResolvedExperimentOptions['generation']
  /** the most requests that will be in flight at once */
  concurrency: number
  /** where derived artefacts (random models) are cached */
  cacheDir: string
  /** relative model and dataset paths resolve against this */
  baseDir: string
  log(line: string): void
}

/** One message of a conversation's history, as the chat endpoint takes it. */
export interface ChatMessage {
  role: 'user' | 'assistant'
  content: string
}

export interface GenerateRequest {
  /** the text to continue; in a conversation, its latest user turn */
  prompt: string
  maxTokens: number
  signal?: AbortSignal
  /** a conversation turn: the whole history, ending with the user turn `prompt` (only sent to a
   *  session whose `conversations` is true); the result must then carry the reply's text */
  messages?: ChatMessage[]
}

export interface TokenSink {
  /** `count` tokens arrived together at `timeMs` (performance.now() of the process) */
  onTokens(count: number, timeMs: number): void
}

export interface GenerateResult {
  inputTokens: number
  outputTokens: number
  finishReason: 'length' | 'stop' | 'aborted'
  /** performance.now() when the response ended, when work after it (counting tokens) is not the request's */
  endMs?: number
  /** prompt tokens the engine took from its prefix cache, as it reported them; absent when it did not say */
  cachedInputTokens?: number
  /** the reply's text, for a request with `messages`: the conversation's next turn carries it */
  text?: string
}

export interface ModelInfo {
  name: string
  path: string | null
  file_size_mb: number | null
  parameters: number | null
  architecture: string | null
  /** the shape the FLOPs formula needs, when known */
  shape: { layers: number; hidden: number; heads: number; headsKv: number; ff: number; vocab: number; context: number } | null
  precision: string | null
}

/**
 * What the backend itself saw over the measured window (a serving engine's /metrics, a Python worker's
 * batch shapes and torch memory). Each field fills the matching part of extended_metrics; a field left
 * out keeps the harness's own figure.
 */
export interface WindowObservations {
  batch?: { effective_batch_size?: number | null; padding_overhead?: number | null }
  kv_cache?: { prefix_cache_hit_rate: number | null; kv_cache_usage_mean: number | null }
  /** memory as the backend's process sees it (torch CUDA allocator, the worker's RSS); `source` says which */
  memory?: { peak_memory_mb: number | null; model_memory_mb: number | null; source: string }
  /** engine-specific figures kept as they are (scrape count, waiting queue, server log path) */
  server?: Record<string, unknown>
  /** the engine's own count of running requests over time (performance.now() ms of this process) */
  running?: { t: number; value: number }[]
  warnings?: string[]
}

/** a client thread's event-loop delay over the measured window (ms; utilisation 0-1) */
export interface ThreadLoopDelay {
  p50_ms: number
  p99_ms: number
  max_ms: number
  utilisation: number
}

export interface ClientThreadsHandle {
  /** the measured window opens: each thread measures its event-loop delay from here */
  measure(): void
  /** each thread's delay since measure() (null: not measured), and the threads end */
  stop(): Promise<(ThreadLoopDelay | null)[]>
}

export interface WindowObserver {
  stop(): Promise<WindowObservations>
}

export interface BackendSession {
  readonly backendVersion: string | null
  readonly model: ModelInfo
  readonly latencyMode: 'TRUE_STREAMING' | 'PER_REQUEST_BATCH' | 'PROPORTIONAL_ESTIMATE'
  /** software versions for the environment snapshot */
  readonly software: Record<string, string | null>
  /** settings the backend resolved itself (threads picked for this machine, actual context size) */
  readonly settings: Record<string, unknown>
  /** whether each request's max tokens is its exact output length ('enforced': end-of-sequence is
   *  ignored) or only a cap the model may stop before; absent: 'capped' */
  readonly outputLengths?: 'enforced' | 'capped'
  /** 'embeddings': each request embeds its prompt and generates nothing (no output tokens, no output
   *  length asked); absent: 'generate' */
  readonly task?: 'generate' | 'embeddings'
  /** takes a conversation's history (GenerateRequest.messages) and returns the reply's text: multi-turn
   *  workloads need it; absent or false: single prompts only */
  readonly conversations?: boolean
  tokenizer: { tokenize(text: string): number[] | Promise<number[]>; detokenize(tokens: number[]): string | Promise<string> }
  generate(request: GenerateRequest, sink: TokenSink): Promise<GenerateResult>
  /** called just before the measured window opens; stop() just after it closes */
  observeWindow?(): WindowObserver
  /** load.clientThreads: runs this session's streaming client on `count` worker threads until the
   *  handle's stop(); absent: the backend's client runs on the main thread only */
  startClientThreads?(count: number): Promise<ClientThreadsHandle>
  close(): Promise<void>
}

export interface Backend<Options = Record<string, unknown>> {
  readonly name: string
  /** strict schema of the options beside `name` in `backend: { name, ... }`; without one the backend takes no options */
  readonly options?: z.ZodType<Options>
  /** one-time work before the timed model load (generating a random model file, a download):
   *  kept out of load_time_ms so that measures loading, not preparing */
  prepare?(ctx: BackendContext<Options>): Promise<void>
  start(ctx: BackendContext<Options>): Promise<BackendSession>
  /** cheap checks in the main process before anything runs (model file exists and is the right
   *  format): bad input fails the whole run with exit code 2 instead of failing each experiment */
  validate?(ctx: { options: Options; model: ResolvedModel | null; baseDir: string; where: string }): Promise<void>
}
