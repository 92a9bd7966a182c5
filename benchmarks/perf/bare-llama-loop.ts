/**
 * The reference for harness overhead: the plainest node-llama-cpp loop that does the same work as one
 * llem experiment (same model, threads, context, prompts, greedy, maxTokens, one sequence), timed the
 * same way (output tokens / wall time of the measured requests). Prints one JSON line.
 */
import { getLlama, LlamaLogLevel } from 'node-llama-cpp'
import { performance } from 'node:perf_hooks'

const [modelPath, requestsArg, maxTokensArg, warmupArg] = process.argv.slice(2)
const requests = Number(requestsArg)
const maxTokens = Number(maxTokensArg)
const warmup = Number(warmupArg)
const prompts = ['Hello there', 'Tell me a story', 'What is energy?', 'Write a haiku about GPUs']

const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
const model = await llama.loadModel({ modelPath })
const context = await model.createContext({ sequences: 1, contextSize: Math.min(model.trainContextSize, 4096), threads: 1 })
const sequence = context.getSequence()
const bos = model.tokens.bos !== null ? [model.tokens.bos] : []

async function one(prompt: string): Promise<number> {
  await sequence.clearHistory()
  let n = 0
  for await (const _ of sequence.evaluate([...bos, ...model.tokenize(prompt)], { temperature: 0 })) {
    if (++n >= maxTokens) break
  }
  return n
}

for (let i = 0; i < warmup; i++) await one(prompts[i % prompts.length])
const t0 = performance.now()
let tokens = 0
for (let i = 0; i < requests; i++) tokens += await one(prompts[i % prompts.length])
const seconds = (performance.now() - t0) / 1000
process.stdout.write(JSON.stringify({ output_tokens: tokens, seconds, output_tokens_per_second: tokens / seconds }) + '\n')
await context.dispose()
await model.dispose()
