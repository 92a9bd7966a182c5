import { defineBench } from 'llem'

// A chat dataset as the Hugging Face Hub serves it (benchmarks/data/chat/data/train-00000-of-00001.parquet,
// a conversations column of { from, value } turns): the first user turn is the prompt, and each
// request generates as many tokens as the dataset's reference reply has ("as in the dataset").
export default defineBench({
  name: 'random llama 1M, a parquet chat dataset with its reply lengths',
  backend: 'llama-cpp',
  model: { random: 'llama-1m' },
  dataset: { file: 'benchmarks/data/chat', columns: { messages: 'conversations' }, outputTokens: 'dataset' },
  measurement: { warmup: { mode: 'fixed', requests: 2 } },
})
