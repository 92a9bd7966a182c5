/**
 * The options of the OpenAI-compatible client that every backend with a client takes (openai, server,
 * vllm, trtllm): the API key's variable, the request timeout, extra body fields and the bounds on one
 * response. A schema shape made with the `z` a lazy schema builds with (llem/plugin/runtime lazySchema).
 */
import type { z as Zod } from 'zod'

export const clientRequestOptions = (z: typeof Zod) => ({
  /** the name of the environment variable that holds the API key (the key itself never goes in config) */
  apiKeyEnv: z.string().min(1).optional(),
  requestTimeoutMs: z.int().positive().optional(),
  /** extra fields for every request body, e.g. { ignore_eos: true, min_tokens: 64, cache_prompt: false } */
  extraBody: z.record(z.string(), z.unknown()).optional(),
  /** bounds on one response (sse-stream.ts DEFAULT_STREAM_LIMITS): a line, an event's data, the whole body */
  maxLineBytes: z.int().positive().optional(),
  maxEventBytes: z.int().positive().optional(),
  maxResponseBytes: z.int().positive().optional(),
})
