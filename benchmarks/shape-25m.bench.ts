import { defineBench } from 'llem'

// The same measurement on a bigger random shape (about 26M parameters): energy and latency scale with it.
export default defineBench({
  name: 'random llama 25M, open-loop Poisson arrivals',
  backend: { name: 'llama-cpp', threads: 1 },
  model: { random: 'llama-25m' },
  dataset: { synthetic: { inputTokens: 32, n: 8 } },
  generation: { maxTokens: 32 },
  load: { rate: 4, burstiness: 1, concurrency: 2 },
  measurement: { warmup: { mode: 'fixed', requests: 2 } },
})
