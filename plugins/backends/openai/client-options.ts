/**
 * The options of the OpenAI-compatible client that every backend with a client takes (openai, server,
 * vllm, trtllm): the API key's variable, the request timeout, extra body fields and the bounds on one
 * response. A schema shape made with the `z` a lazy schema builds with (llem/plugin/runtime lazySchema).
 */
import type { z as Zod } from 'zod'

export const clientRequestOptions = (z: typeof Zod) => ({
  /** the name of the environment variable that holds the API key (the key itself never goes in config).
   *  A key pasted here instead would be written wherever the config is: refused, without echoing it */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be the NAME of an environment variable (letters, digits and _, not starting with a digit) that holds the API key, not the key itself' })
    .optional(),
  requestTimeoutMs: z.int().positive().optional(),
  /** extra fields for every request body, e.g. { ignore_eos: true, min_tokens: 64, cache_prompt: false } */
  extraBody: z.record(z.string(), z.unknown()).optional(),
  /** bounds on one response (sse-stream.ts DEFAULT_STREAM_LIMITS): a line, an event's data, the whole body */
  maxLineBytes: z.int().positive().optional(),
  maxEventBytes: z.int().positive().optional(),
  maxResponseBytes: z.int().positive().optional(),
})
