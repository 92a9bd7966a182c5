/**
 * The embedded backend: llama.cpp in this (worker) process through node-llama-cpp. One context with
 * one sequence per concurrent request, so llama.cpp batches concurrent decodes as a server would.
 * Every token is yielded by the evaluate loop on its own, so timing is TRUE_STREAMING.
 */
import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import type { Backend, BackendSession, ModelInfo } from 'llem/plugin/runtime'
import { InputError, LlemError, lazySchema } from 'llem/plugin/runtime'
import { readGgufInfo } from './gguf-reader.js'
import { ensureRandomModel, parseRandomModelSpec } from './random-model.js'

export const llamaCppOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** CPU threads for llama.cpp; default: 1 on machines with <= 2 cores (2 makes decode erratic), else half the cores up to 8 */
    threads: z.int().positive().optional(),
    /** tokens per sequence; default: the model's training context, at most 4096 */
    contextSize: z.int().positive().optional(),
    /** layers offloaded to a GPU (0: CPU only) */
    gpuLayers: z.int().min(0).optional(),
    /** llama.cpp batch size for prompt processing */
    batchSize: z.int().positive().optional(),
  }),
)
export type LlamaCppOptions = z.infer<typeof llamaCppOptionsSchema>

const require = createRequire(import.meta.url)
function nodeLlamaCppVersion(): string | null {
  try {
    const pkg = path.join(path.dirname(require.resolve('node-llama-cpp')), '..', 'package.json')
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
  } catch {
    return null
  }
}

export function defaultThreads(): number {
  const cores = os.availableParallelism()
  return cores <= 2 ? 1 : Math.min(8, Math.floor(cores / 2))
}

type NodeLlamaCpp = typeof import('node-llama-cpp')
let llamaPromise: Promise<{ lib: NodeLlamaCpp; llama: Awaited<ReturnType<NodeLlamaCpp['getLlama']>> }> | undefined

function getLlama(gpu: boolean) {
  llamaPromise ??= (async () => {
    const lib = await import('node-llama-cpp')
    const llama = await lib.getLlama({ gpu: gpu ? 'auto' : false, build: 'never', logLevel: lib.LlamaLogLevel.error })
    return { lib, llama }
  })()
  return llamaPromise
}

async function resolveModelPath(model: unknown, cacheDir: string, baseDir: string): Promise<{ path: string; name: string }> {
  if (model && typeof model === 'object' && 'random' in model) {
    const spec = parseRandomModelSpec((model as { random: unknown }).random)
    if (!spec.success) throw new InputError('BENCH_INVALID', `model.random: ${spec.error.issues.map((i) => `${i.path.join('.') || 'random'}: ${i.message}`).join('; ')}`)
    const file = await ensureRandomModel(spec.data, path.join(cacheDir, 'models'))
    const name = typeof spec.data === 'string' ? spec.data : `llama-random-${file.shape.layers}l-${file.shape.hidden}h`
    return { path: file.path, name: `random:${name}` }
  }
  const p = typeof model === 'string' ? model : (model as { path?: string } | null)?.path
  if (!p) throw new InputError('BENCH_INVALID', 'llama-cpp needs `model`: a GGUF path or { random: "llama-1m" }')
  const abs = path.resolve(baseDir, p)
  return { path: abs, name: path.basename(abs) }
}

/**
 * node-llama-cpp's sampling options. Greedy decoding ignores top-k/top-p/seed; passing them anyway
 * builds a sampler chain that costs several percent of decode speed on small models, so only what
 * changes the sampling is set. When sampling, topK and topP are stated even when off (0 and 1): left
 * out, node-llama-cpp samples with its own topK 40 and topP 0.95 while the result would say 0 and 1.
 */
export function llamaSampling(g: { temperature: number; topK: number; topP: number; seed: number }): { temperature: number; seed?: number; topK?: number; topP?: number } {
  return g.temperature === 0 ? { temperature: 0 } : { temperature: g.temperature, seed: g.seed, topK: g.topK, topP: g.topP }
}

export const llamaCppBackend: Backend<LlamaCppOptions> = {
  name: 'llama-cpp',
  options: llamaCppOptionsSchema,
  async validate({ model, baseDir, where }) {
    if (model === null) throw new InputError('BENCH_INVALID', `${where}: llama-cpp needs \`model\`: a GGUF path or { random: 'llama-1m' }`)
    if (typeof model === 'object' && 'random' in model) {
      const spec = parseRandomModelSpec(model.random)
      if (!spec.success) throw new InputError('BENCH_INVALID', `${where}: model.random: ${spec.error.issues.map((i) => `${[...i.path].join('.') || 'value'}: ${i.message}`).join('; ')} (presets: llama-1m, llama-25m, or { layers, hidden, heads, ff })`)
      return
    }
    const { path: file } = await resolveModelPath(model, '', baseDir)
    try {
      await readGgufInfo(file)
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.code, `${where}: ${e.message}`, { file })
      throw e
    }
  },
  async prepare(ctx) {
    await resolveModelPath(ctx.model, ctx.cacheDir, ctx.baseDir)
  },
  async start(ctx): Promise<BackendSession> {
    const { path: modelPath, name } = await resolveModelPath(ctx.model, ctx.cacheDir, ctx.baseDir)
    const info = await readGgufInfo(modelPath) // throws InputError for a missing or non-GGUF file
    const gpuLayers = ctx.options.gpuLayers ?? 0
    const { llama } = await getLlama(gpuLayers > 0)
    const threads = ctx.options.threads ?? defaultThreads()
    const model = await llama.loadModel({ modelPath, gpuLayers })
    const contextSize = ctx.options.contextSize ?? Math.min(model.trainContextSize || 4096, 4096)
    const context = await model.createContext({ sequences: ctx.concurrency, contextSize, threads, batchSize: ctx.options.batchSize })
    const free = Array.from({ length: ctx.concurrency }, () => context.getSequence())
    // llama.cpp pads the context it allocates (16 asked, 256 given): said in the result, not silently
    const perSequence = free[0]?.contextSize ?? context.contextSize
    const resized = ctx.options.contextSize !== undefined && perSequence !== ctx.options.contextSize
      ? `backend.contextSize ${ctx.options.contextSize} was rounded by llama.cpp to ${perSequence} tokens per sequence: prompt + maxTokens must fit in ${perSequence}`
      : null
    const { temperature, topK, topP, seed, ignoreEos } = ctx.generation
    const sampling = llamaSampling({ temperature, topK, topP, seed })
    const bos = model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? [model.tokens.bos] : []
    const shape = info.shape
      ? { layers: info.shape.layers, hidden: info.shape.hidden, heads: info.shape.heads, headsKv: info.shape.headsKv, ff: info.shape.ff, vocab: info.shape.vocab, context: info.shape.context }
      : null
    const modelInfo: ModelInfo = {
      name,
      path: modelPath,
      file_size_mb: statSync(modelPath).size / 1048576,
      parameters: info.parameterCount,
      architecture: info.architecture,
      shape,
      precision: fileTypeName(info.fileType),
    }
    const tokenize = (text: string) => [...bos, ...model.tokenize(text)] as number[]
    return {
      backendVersion: nodeLlamaCppVersion(),
      model: modelInfo,
      latencyMode: 'TRUE_STREAMING',
      software: { 'node-llama-cpp': nodeLlamaCppVersion(), 'llama.cpp': llama.llamaCppRelease.release, llama_build: llama.buildType, llama_gpu: String(llama.gpu) },
      settings: { threads, context_size: context.contextSize, sequences: ctx.concurrency, gpu_layers: gpuLayers, batch_size: context.batchSize },
      ...(resized ? { observeWindow: () => ({ stop: async () => ({ warnings: [resized] }) }) } : {}),
      // the evaluate loop below decides when to stop: with ignoreEos it never stops at end-of-generation
      outputLengths: ignoreEos ? 'enforced' : 'capped',
      tokenizer: { tokenize, detokenize: (tokens) => model.detokenize(tokens as never) },
      async generate(request, sink) {
        const sequence = free.pop()
        if (!sequence) throw new LlemError('BACKEND_FAILED', `more requests in flight than the ${ctx.concurrency} sequences this context holds`)
        const input = tokenize(request.prompt)
        let output = 0
        let finish: 'length' | 'stop' | 'aborted' = 'length'
        try {
          await sequence.clearHistory()
          if (input.length + request.maxTokens > sequence.contextSize)
            throw new LlemError('BACKEND_FAILED', `prompt (${input.length} tokens) + maxTokens (${request.maxTokens}) exceed the context size ${sequence.contextSize}; raise backend.contextSize`)
          for await (const token of sequence.evaluate(input as never, sampling)) {
            const t = performance.now()
            if (!ignoreEos && model.isEogToken(token)) {
              finish = 'stop'
              break
            }
            output++
            sink.onTokens(1, t)
            if (output >= request.maxTokens) break
            if (request.signal?.aborted) {
              finish = 'aborted'
              break
            }
          }
        } finally {
          free.push(sequence)
        }
        return { inputTokens: input.length, outputTokens: output, finishReason: finish }
      },
      async close() {
        await context.dispose()
        await model.dispose()
      },
    }
  },
}

function fileTypeName(t: number | null | undefined): string | null {
  const names: Record<number, string> = { 0: 'f32', 1: 'f16', 2: 'q4_0', 3: 'q4_1', 7: 'q8_0', 8: 'q5_0', 9: 'q5_1', 10: 'q2_k', 11: 'q3_k_s', 14: 'q4_k_s', 15: 'q4_k_m', 16: 'q5_k_s', 17: 'q5_k_m', 18: 'q6_k', 32: 'bf16' }
  return t === null || t === undefined ? null : (names[t] ?? `gguf_file_type_${t}`)
}
