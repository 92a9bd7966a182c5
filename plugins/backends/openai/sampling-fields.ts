/**
 * The sampling fields of a request, each stated even where it asks for no truncation. A server fills a
 * field left out with its own default, not with "off": llama.cpp's server top_k 40, top_p 0.95 and
 * min_p 0.05 (common/common.h), vLLM the model's generation_config.json (`--generation-config auto`:
 * Qwen2.5 ships top_k 20, top_p 0.8 and repetition_penalty 1.05, the penalty applied to greedy decoding
 * too; CompletionRequest.to_sampling_params). The result would then say top_k 0 while the server sampled
 * with 20. Which fields a server takes depends on what it is:
 * - `vllm`: top_p, top_k (0 = off), min_p, repetition_penalty (1 = off);
 * - `llama.cpp` (its /props answers with a build_info): top_p, top_k (0 = off), min_p;
 * - `trtllm`: top_p, top_k (0 = off): its CompletionRequest forbids fields it does not declare, and
 *   its defaults for the others are already "off";
 * - `engine` (a /version answered: vLLM or TensorRT-LLM behind a plain URL): top_p and top_k;
 * - `unknown` (an OpenAI-style service): top_p only; the OpenAI API has no top_k, so one is sent only
 *   when set, and the server's own default applies otherwise (the result's settings say so).
 */
import type { BackendContext } from 'llem/plugin/runtime'

export type SamplingEngine = 'vllm' | 'llama.cpp' | 'trtllm' | 'engine' | 'unknown'

export function samplingFields(g: BackendContext['generation'], engine: SamplingEngine): Record<string, number> {
  const fields: Record<string, number> = { temperature: g.temperature, top_p: g.topP }
  if (engine !== 'unknown' || g.topK > 0) fields.top_k = g.topK
  if (engine === 'vllm' || engine === 'llama.cpp') fields.min_p = 0
  if (engine === 'vllm') fields.repetition_penalty = 1
  return fields
}
