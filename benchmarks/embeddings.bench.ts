import { defineBench } from 'llem'
import { llamaServerExample } from './servers/llama-server.js'

// An embeddings workload: 64 prompts of 128 tokens through /v1/embeddings, 2 in flight. Nothing is
// generated, so the cost is per embedded token and per request (embedding_metrics); the output-token
// figures are null and say why. llama-server embeds with --embeddings and a pooling other than none
// (the random llama's own is none): --pooling mean.
//
// Needs llama.cpp's llama-server (see ./servers/llama-server.ts): listed as skipped without one.
const server = llamaServerExample(['-np', '2', '-c', '1024', '--embeddings', '--pooling', 'mean'])

export default defineBench({
  name: 'llama-server, embeddings',
  ...server,
  backend: { ...server.backend, endpoint: 'embeddings' as const },
  dataset: { synthetic: { inputTokens: 128, n: 64 } },
  load: { concurrency: 2 },
  measurement: { warmup: { mode: 'fixed', requests: 2 } },
})
