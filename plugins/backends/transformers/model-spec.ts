/**
 * `model` for the transformers backend: a hub id or a local directory (from_pretrained), or
 * `{ random: 'llama-1m' | { model_type, ...config fields } }`: a config built with
 * AutoConfig.for_model and random weights seeded by generation.seed, so nothing is downloaded.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { ResolvedModel } from 'llem/plugin/runtime'
import { InputError } from 'llem/plugin/runtime'

/** Llama-shaped configs by name; llama-1b is Llama 3.2 1B's shape (1.24 B parameters). */
export const RANDOM_PRESETS: Record<string, Record<string, unknown>> = {
  'llama-1m': { model_type: 'llama', vocab_size: 512, hidden_size: 128, intermediate_size: 336, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4, max_position_embeddings: 2048 },
  'llama-1b': {
    model_type: 'llama', vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32,
    num_key_value_heads: 8, max_position_embeddings: 131072, rope_theta: 500000, tie_word_embeddings: true,
  },
}

/** `missingLocal`: the folder a string model would have been, had it existed (for the not-found message) */
export type WorkerModelSpec = { kind: 'pretrained'; id: string; name: string; missingLocal?: string } | { kind: 'random'; config: Record<string, unknown>; name: string }

const USAGE = "the transformers backend needs `model`: a hub id ('Qwen/Qwen2.5-0.5B'), a local directory, or { random: 'llama-1m' } / { random: { model_type: 'llama', hidden_size: 256, ... } }"

export function resolveModelSpec(model: ResolvedModel | null, baseDir: string, where = 'model'): WorkerModelSpec {
  if (model === null) throw new InputError('BENCH_INVALID', `${where}: ${USAGE}`)
  if (typeof model === 'string') {
    // an existing directory is loaded from disk (relative to the project root, as for every backend);
    // anything else is a hub id that from_pretrained resolves
    const local = path.resolve(baseDir, model)
    return existsSync(local) ? { kind: 'pretrained', id: local, name: model } : { kind: 'pretrained', id: model, name: model, missingLocal: local }
  }
  if ('path' in model) {
    const local = path.resolve(baseDir, model.path)
    if (!existsSync(local)) throw new InputError('MODEL_NOT_FOUND', `${where}: model.path ${local} does not exist`, { file: local })
    return { kind: 'pretrained', id: local, name: path.basename(local) }
  }
  const r = model.random
  if (typeof r === 'string') {
    const preset = RANDOM_PRESETS[r]
    if (!preset) throw new InputError('BENCH_INVALID', `${where}: model.random: unknown preset "${r}" for transformers (presets: ${Object.keys(RANDOM_PRESETS).join(', ')}, or { model_type: 'llama', ...config fields })`)
    return { kind: 'random', config: { ...preset }, name: `random:${r}` }
  }
  if (typeof r.model_type !== 'string' || r.model_type === '')
    throw new InputError('BENCH_INVALID', `${where}: model.random.model_type: a config's model_type is required ('llama', 'qwen2', ...) for AutoConfig.for_model`)
  const size = [r.num_hidden_layers !== undefined ? `${r.num_hidden_layers}l` : '', r.hidden_size !== undefined ? `${r.hidden_size}h` : ''].filter(Boolean).join('-')
  return { kind: 'random', config: { ...r }, name: `random:${r.model_type}${size ? `-${size}` : ''}` }
}
