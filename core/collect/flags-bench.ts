/**
 * A run without a bench file, for the user of `vllm bench serve` or GuideLLM:
 * `llem bench --backend.name openai --backend.baseURL http://host:8000/v1 --model M` in a directory with
 * no bench file plans one in-memory bench, named "cli", from the layers (defaults, the config file if
 * any, LLEM_* variables, the flags) and runs it like any other. Where bench files exist, flags stay
 * what they always are: overrides of those benches.
 */
import type { CollectedBench } from '../api/collector.js'
import { mergeLayers, type OptionLayer } from '../config/layers.js'
import { InputError } from '../errors.js'

export const FLAGS_BENCH_NAME = 'cli'
/** what the plan and the results name as its place: there is no file and no line */
export const FLAGS_BENCH_LOCATION = 'command line'

/**
 * The dataset when no layer names one: synthetic prompts, as `vllm bench serve` defaults to its random
 * dataset. Small, so a first run is quick: 32 prompts of 256 tokens (by the model's own tokenizer; an
 * OpenAI-compatible server must then offer /tokenize and /detokenize, as vLLM and llama.cpp's do).
 */
export const FLAGS_DEFAULT_DATASET = { synthetic: { inputTokens: 256, n: 32 } }

/** Whether the command line sets a backend or a model: then "no bench file" means "run from the flags". */
export function commandLineNamesBench(flags: Record<string, string | boolean>): boolean {
  return Object.keys(flags).some((k) => k === 'backend' || k.startsWith('backend.') || k === 'model' || k.startsWith('model.'))
}

/**
 * The bench the flags describe, or an InputError naming the flag that is missing. `layers` are the
 * config file's, the environment's and the command line's, lowest first, as the plan will merge them.
 */
export function flagsBench(layers: OptionLayer[], backendNames: string[]): CollectedBench {
  const merged = mergeLayers(layers).values
  const backend = merged.backend as { name?: unknown } | null | undefined
  const example = '--backend.name openai --backend.baseURL http://localhost:8000/v1 --model <served model name>'
  if (typeof backend?.name !== 'string')
    throw new InputError('CONFIG_INVALID', `command line: a run without a bench file needs --backend.name (${backendNames.join(', ')}), e.g. ${example}`, { where: 'backend.name' })
  if (merged.model === undefined || merged.model === null)
    throw new InputError('CONFIG_INVALID', `command line: a run without a bench file needs --model (the served model name for openai, a GGUF path or '{"random":"llama-1m"}' for llama-cpp), e.g. ${example}`, { where: 'model' })
  const hasDataset = merged.dataset !== undefined && merged.dataset !== null
  return {
    file: '',
    name: FLAGS_BENCH_NAME,
    suites: [],
    options: hasDataset ? {} : { dataset: FLAGS_DEFAULT_DATASET },
    mode: 'run',
    location: FLAGS_BENCH_LOCATION,
    kind: 'flags',
  }
}
