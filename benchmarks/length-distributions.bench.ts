import { defineBench } from 'llem'

// Prompt and output lengths drawn per prompt from distributions (seeded): a lognormal spread of
// prompt lengths, as in chat traffic, and uniform output lengths, each enforced exactly (ignoreEos).
// The result's `workload` records both specs, the seed and the lengths the model really saw.
export default defineBench({
  name: 'random llama 1M, drawn prompt and output lengths',
  backend: 'llama-cpp',
  model: { random: 'llama-1m' },
  dataset: {
    synthetic: { inputTokens: { dist: 'lognormal', mean: 48, stdev: 24, min: 8, max: 200 }, n: 12 },
    outputTokens: { dist: 'uniform', min: 16, max: 64 },
    seed: 7,
  },
  load: { concurrency: 2 },
  measurement: { warmup: { mode: 'fixed', requests: 2 } },
})
