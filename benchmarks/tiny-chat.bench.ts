import { describe, bench } from 'llem'

// A random-weight llama (about 0.9M parameters) generated on first use: no download, real llama.cpp tokens.
describe('random llama 1M on CPU', { backend: 'llama-cpp', model: { random: 'llama-1m' } }, () => {
  bench('greedy 64 tokens', {
    dataset: { prompts: ['Hello', 'Tell me a story', 'What is energy?', 'Write a haiku about GPUs'], repeat: 4 },
    generation: { maxTokens: 64, temperature: 0 },
  })

  bench('concurrency sweep', {
    sweep: { 'load.concurrency': [1, 2, 4] },
    dataset: { synthetic: { inputTokens: 64, n: 16 } },
    generation: { maxTokens: 48 },
  })
})
