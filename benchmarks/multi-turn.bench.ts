import { defineBench } from 'llem'

// Multi-turn conversations: each conversation in benchmarks/data/conversations.json (ShareGPT's layout)
// is sent turn by turn through the chat endpoint, every turn with the history so far: the earlier
// questions and the replies the server actually gave (the file's own replies are never sent). A user
// waits 0.2-1 s between a reply and the next question (load.thinkTimeMs), and two conversations are in
// flight at a time. The result's workload.conversations compares TTFT of first turns with later ones,
// which resend the history a prefix cache can reuse.
//
// It needs an OpenAI-compatible chat server; this one starts llama.cpp's llama-server with the random
// 1M llama. Set LLEM_LLAMA_SERVER to its binary (scripts/build-llama-server builds one); without it
// the bench is skipped. Against a server you run yourself, use backend: { name: 'openai', baseURL,
// endpoint: 'chat' } and the model it serves.
const llamaServer = process.env.LLEM_LLAMA_SERVER

export default defineBench({
  name: 'random llama 1M on llama-server, multi-turn conversations',
  skip: !llamaServer,
  backend: {
    name: 'server',
    command: [llamaServer ?? 'llama-server', '-m', '{model}', '--host', '{host}', '--port', '{port}', '--alias', 'tiny', '-np', '2', '-c', '4096', '--no-webui'],
    servedModelName: 'tiny',
    endpoint: 'chat',
  },
  model: { random: 'llama-1m' },
  dataset: { file: 'benchmarks/data/conversations.json', multiTurn: true },
  generation: { maxTokens: 24 },
  load: { concurrency: 2, thinkTimeMs: { dist: 'uniform', min: 200, max: 1000 } },
  measurement: { warmup: { mode: 'fixed', requests: 2 } },
})
