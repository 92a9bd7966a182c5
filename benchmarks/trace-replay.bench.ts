import { defineBench } from 'llem'

// Trace replay: a CSV of request lengths only (benchmarks/data/trace.csv). Each row becomes a prompt of
// exactly its input_tokens and a request for exactly its output_tokens, in the file's order.
export default defineBench({
  name: 'random llama 1M, replaying a CSV trace of request lengths',
  backend: 'llama-cpp',
  model: { random: 'llama-1m' },
  dataset: { file: 'benchmarks/data/trace.csv', columns: { inputTokens: 'input_tokens', outputTokens: 'output_tokens' }, outputTokens: 'dataset' },
  load: { concurrency: 2 },
  measurement: { warmup: { mode: 'fixed', requests: 2 } },
})
