import { defineBench } from 'llem'
import { llamaServerExample } from './servers/llama-server.js'

// Prefix caching's effect on J/token: 24 prompts of 384 tokens, each a 320-token prefix plus 64 tokens
// of its own, all sharing one prefix (count 1) or each its own (count 24); everything else the same.
// The result states what the server reused, as it reported it: workload.realised.cached_input_share
// (usage.prompt_tokens_details.cached_tokens over prompt tokens) and, from its /metrics,
// extended_metrics.kv_cache.prefix_cache_hit_rate; compare the two experiments' J/token.
//
// Needs llama.cpp's llama-server (see ./servers/llama-server.ts): listed as skipped without one.
const server = llamaServerExample(['-np', '1', '-c', '2048', '--metrics'])

export default defineBench({
  name: 'llama-server, shared prefixes',
  ...server,
  dataset: { synthetic: { prefix: { count: 1, tokens: 320 }, suffixTokens: 64, n: 24 } },
  sweep: { 'dataset.synthetic.prefix.count': [1, 24] },
  generation: { maxTokens: 16 },
  load: { concurrency: 1 },
  measurement: { warmup: { mode: 'fixed' as const, requests: 1 } },
})
