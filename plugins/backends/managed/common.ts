/**
 * What the managed engine backends (vllm, trtllm) share: the options every engine takes beside its own,
 * the model argument, and the check that the slot has the GPUs the engine's parallelism needs.
 */
import path from 'node:path'
import type { z as Zod } from 'zod'
import type { BackendContext, ResolvedModel } from 'llem/plugin/runtime'
import { InputError, LlemError } from 'llem/plugin/runtime'
import { clientRequestOptions } from '../openai/client-options.js'

/** The options every managed engine takes, as a schema shape made with the `z` a lazy schema builds with. */
export const managedCommonOptions = (z: typeof Zod) => ({
  /** the engine's executable (a venv's bin/vllm, a wrapper script); found on PATH by default */
  executable: z.string().min(1).optional(),
  /** the name the engine serves the model under (default: the model id or path) */
  servedModelName: z.string().min(1).optional(),
  /** more arguments, passed as they are after the mapped ones */
  extraArgs: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  startupTimeoutMs: z.int().positive().optional(),
  endpoint: z.enum(['completions', 'chat']).optional(),
  ...clientRequestOptions(z),
  /** how often the engine's metrics are scraped during the measured window (default 1000 ms) */
  metricsIntervalMs: z.int().min(100).optional(),
})

/** The model argument: an id passes through, a path resolves against the project root. */
export function modelArgument(model: ResolvedModel | null, baseDir: string): string | null {
  if (typeof model === 'string') return model
  if (model && typeof model === 'object' && 'path' in model && typeof model.path === 'string') return path.resolve(baseDir, model.path)
  return null
}

export function validateModel(engine: string, model: ResolvedModel | null, where: string): void {
  if (typeof model === 'string') return
  if (model && typeof model === 'object' && 'path' in model) return
  throw new InputError('BENCH_INVALID', `${where}: the ${engine} backend needs \`model\`: a model id or a path the engine loads (random models are for llama-cpp and transformers)`)
}

/** An engine asked for more GPUs than llem pinned to this experiment fails here, not minutes later in the engine. */
export function checkParallelism(engine: string, needed: number, ctx: Pick<BackendContext, 'log'>): void {
  const visible = process.env.CUDA_VISIBLE_DEVICES
  if (visible === undefined || needed <= 1) return
  const count = visible.split(',').filter((d) => d.trim() !== '' && d.trim() !== '-1').length
  if (count < needed)
    throw new LlemError('BACKEND_FAILED', `${engine} needs ${needed} GPUs (tensor x pipeline parallel) but this experiment has ${count} (CUDA_VISIBLE_DEVICES=${visible}): set \`gpus: ${needed}\` on the bench`)
  ctx.log(`${engine}: ${needed} GPUs for tensor x pipeline parallel, ${count} visible`)
}

/** The engine reads its API key from the environment, so the key never appears in the recorded command. */
export function apiKeyEnv(name: string | undefined, engineVar: string): Record<string, string> {
  if (!name) return {}
  const key = process.env[name]
  if (!key) throw new LlemError('BACKEND_FAILED', `apiKeyEnv names ${name}, but that environment variable is not set`)
  return { [engineVar]: key }
}

/**
 * Secret flags the engine also reads from its environment, moved there: a command line is readable by
 * every user of the machine (`ps`, /proc/<pid>/cmdline), an environment only by its owner. `flags` maps
 * a flag to its variable (vLLM: --api-key -> VLLM_API_KEY, https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html).
 */
export function secretFlagsToEnv(argv: string[], flags: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  const out: string[] = []
  const env: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2)
    const name = flags[flag]
    if (name === undefined || i === 0) out.push(argv[i])
    else if (inline !== undefined) env[name] = inline
    else if (i + 1 < argv.length) env[name] = argv[++i]
    else out.push(argv[i])
  }
  return { argv: out, env }
}
