/**
 * The sampling fields of a request, each stated where a server would otherwise put its own default in
 * place of "off". A server fills a field left out with its default: llama.cpp's server top_k 40, top_p
 * 0.95 and min_p 0.05 (common/common.h), vLLM the model's generation_config.json (`--generation-config
 * auto`: Qwen2.5 ships top_k 20, top_p 0.8 and repetition_penalty 1.05, the penalty applied to greedy
 * decoding too; CompletionRequest.to_sampling_params). The result would then say top_k 0 while the
 * server sampled with 20. Which fields, and how "off" is spelled, depends on the server:
 * - `vllm`: top_p, top_k (off: -1, which every vLLM accepts; 0 is refused before 0.9), min_p,
 *   repetition_penalty (1 = off, sent with greedy decoding too);
 * - `llama.cpp` (its /props answers with a build_info): top_p, top_k (0 = off), min_p;
 * - `trtllm`: top_p, top_k (0 = off): its CompletionRequest forbids fields it does not declare, and its
 *   defaults for the others are already off;
 * - `engine` (a /version answered: vLLM or TensorRT-LLM behind a plain URL, which spell top_k's "off"
 *   differently) and `unknown` (an OpenAI-style service; TGI refuses top_p 1): top_p below 1 and top_k
 *   above 0 only, as set; the server's own defaults apply otherwise, and the result's settings say so.
 * Greedy decoding (temperature 0) takes none of these but vLLM's repetition penalty: a llama.cpp
 * server's greedy path stays the one it takes by default.
 */
import type { BackendContext } from 'llem/plugin/runtime'

export type SamplingEngine = 'vllm' | 'llama.cpp' | 'trtllm' | 'engine' | 'unknown'

export function samplingFields(g: BackendContext['generation'], engine: SamplingEngine): Record<string, number> {
  const fields: Record<string, number> = { temperature: g.temperature }
  if (engine === 'vllm') fields.repetition_penalty = 1
  if (g.temperature === 0) return fields
  const stated = engine === 'vllm' || engine === 'llama.cpp' || engine === 'trtllm'
  if (stated || g.topP < 1) fields.top_p = g.topP
  if (g.topK > 0) fields.top_k = g.topK
  else if (stated) fields.top_k = engine === 'vllm' ? -1 : 0
  if (engine === 'vllm' || engine === 'llama.cpp') fields.min_p = 0
  return fields
}
