/**
 * The `transformers` backend: Hugging Face models in a Python worker (worker.py, shipped beside this
 * file) that llem starts with the user's interpreter and drives over JSON lines on stdio. Every
 * decoding step is stamped in the worker; batch size 1 is TRUE_STREAMING, larger batches are
 * PER_REQUEST_BATCH (the rows of a batch share its steps). See docs/backends.md#transformers.
 */
import type { z } from 'zod'
import type { Backend, BackendSession, WindowObservations } from 'llem/plugin/runtime'
import { maxOf, lazySchema } from 'llem/plugin/runtime'
import { Batcher, type BatchCounters, type BatchReply } from './batcher.js'
import { resolveModelSpec } from './model-spec.js'
import { WorkerClient, workerScript, PROTOCOL_VERSION } from './worker-client.js'
import { explainWorkerError, type FailureContext } from './worker-errors.js'

export const transformersOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** the interpreter: 'python3' (default), or a venv's /path/to/venv/bin/python */
    python: z.string().min(1).optional(),
    /** added to the worker's environment (HF_HOME, HF_TOKEN, PYTHONPATH) */
    env: z.record(z.string(), z.string()).optional(),
    /** from_pretrained(local_files_only=True): never reach the hub */
    localFilesOnly: z.boolean().optional(),
    /** a tokenizer id or path when it differs from the model (random models default to a byte tokenizer) */
    tokenizer: z.string().min(1).optional(),
    /** default: bfloat16 (float16 where the GPU lacks it) on CUDA, float32 on the CPU */
    dtype: z.enum(['float32', 'float16', 'bfloat16']).optional(),
    /** from_pretrained's device_map ('auto', 'cuda:0', or a module -> device map); default: one device */
    deviceMap: z.union([z.string().min(1), z.record(z.string(), z.union([z.string(), z.int()]))]).optional(),
    /** 'eager', 'sdpa', 'flash_attention_2', ... */
    attnImplementation: z.string().min(1).optional(),
    /** bitsandbytes weight quantization (pretrained models on CUDA) */
    quantization: z.enum(['4bit', '8bit']).optional(),
    /** model.forward = torch.compile(model.forward); warmup absorbs the compilation */
    torchCompile: z.boolean().optional(),
    /** requests per generate() call; 1 (default) times every token as it is produced */
    batchSize: z.int().positive().optional(),
    /** how long a free worker waits for a batch to fill once a request is waiting (default 5 ms) */
    batchWindowMs: z.number().min(0).max(1000).optional(),
    paddingSide: z.enum(['left', 'right']).optional(),
  }),
)
export type TransformersOptions = z.infer<typeof transformersOptionsSchema>

export const transformersBackend: Backend<TransformersOptions> = {
  name: 'transformers',
  options: transformersOptionsSchema,
  async validate({ model, baseDir, where }) {
    resolveModelSpec(model, baseDir, where)
  },
  async start(ctx): Promise<BackendSession> {
    const o = ctx.options
    const spec = resolveModelSpec(ctx.model, ctx.baseDir)
    const python = o.python ?? 'python3'
    const batchSize = o.batchSize ?? 1
    const windowMs = o.batchWindowMs ?? 5
    const paddingSide = o.paddingSide ?? 'left'
    const env = { ...o.env }
    if (process.env.CUDA_VISIBLE_DEVICES !== undefined && env.CUDA_VISIBLE_DEVICES !== undefined) {
      // the slot's GPUs are llem's choice (data parallel, one worker per slot): keep them
      ctx.log(`[transformers] backend.env.CUDA_VISIBLE_DEVICES ignored: llem placed this experiment on ${process.env.CUDA_VISIBLE_DEVICES}`)
      delete env.CUDA_VISIBLE_DEVICES
    }
    const failure: FailureContext = {
      python, model: spec.name, phase: 'start', quantization: o.quantization, attnImplementation: o.attnImplementation,
      missingLocal: spec.kind === 'pretrained' ? spec.missingLocal : undefined,
    }
    let client: WorkerClient | undefined
    try {
      const started = await WorkerClient.start({ python, env, cwd: ctx.baseDir, log: ctx.log })
      client = started.client
      failure.pythonVersion = started.hello.python
      ctx.log(`[transformers] worker pid ${client.pid}: Python ${started.hello.python} (${started.hello.executable}), protocol ${started.hello.protocol}`)
      const clock = await client.calibrate()
      ctx.log(`[transformers] clock: ${clock.method}, best ping round trip ${clock.rttMs.toFixed(3)} ms`)
      const { temperature, topP, topK, seed, ignoreEos } = ctx.generation
      const loaded = await client.request({
        t: 'load',
        model: spec,
        options: { dtype: o.dtype, deviceMap: o.deviceMap, attnImplementation: o.attnImplementation, quantization: o.quantization, torchCompile: o.torchCompile ?? false, localFilesOnly: o.localFilesOnly ?? false, tokenizer: o.tokenizer, paddingSide, batchSize },
        generation: { do_sample: temperature > 0, temperature, top_p: topP, top_k: topK, ignore_eos: ignoreEos, seed },
      })
      return makeSession(client, loaded, { ctx, python, hello: started.hello, batchSize, windowMs, paddingSide, clock, failure })
    } catch (e) {
      await client?.stop()
      throw explainWorkerError(e, failure)
    }
  },
}

type Loaded = {
  versions: { python: string; torch: string; transformers: string; cuda: string | null; devices: string[]; cuda_visible_devices: string | null }
  model: { name_or_path: string | null; path: string | null; parameters: number | null; architecture: string | null; shape: BackendSession['model']['shape']; precision: string | null; file_size_mb: number | null }
  settings: Record<string, unknown>
  memory: { model_mb: number | null; source: string }
}

/** The session with its batch counters in view, for llem's own benchmarks and tests. */
export interface TransformersSession extends BackendSession {
  readonly batchCounters: Readonly<BatchCounters>
}

function makeSession(
  client: WorkerClient,
  reply: Record<string, unknown>,
  s: { ctx: Parameters<Backend<TransformersOptions>['start']>[0]; python: string; hello: { executable: string; pid: number }; batchSize: number; windowMs: number; paddingSide: string; clock: WorkerClient['clock']; failure: FailureContext },
): TransformersSession {
  const loaded = reply as unknown as Loaded
  const { ctx, failure } = s
  const o = ctx.options
  const v = loaded.versions
  // a batch never holds more requests than are in flight at once
  const size = Math.max(1, Math.min(s.batchSize, ctx.concurrency))
  const runBatch = async (rows: { prompt: string; maxTokens: number }[]): Promise<BatchReply> => {
    try {
      const r = await client.request({ t: 'generate', prompts: rows.map((x) => x.prompt), max_tokens: rows.map((x) => x.maxTokens) })
      const [g0, g1] = r.gen_ns as [number, number]
      return { rows: r.rows as BatchReply['rows'], stepsMs: (r.steps as number[]).map((ns) => client.toLocalMs(ns)), pads: r.pads as number, slots: r.slots as number, modelMs: (g1 - g0) / 1e6 }
    } catch (e) {
      throw explainWorkerError(e, { ...failure, phase: 'run', batch: { rows: rows.length, maxTokens: maxOf(rows.map((x) => x.maxTokens)) } })
    }
  }
  const batcher = new Batcher(runBatch, size, size > 1 ? s.windowMs : 0)
  const warnings: string[] = []
  if (s.batchSize > ctx.concurrency) warnings.push(`backend.batchSize ${s.batchSize} is more than load.concurrency ${ctx.concurrency}: batches hold at most ${ctx.concurrency} requests`)
  if (s.batchSize < ctx.concurrency) warnings.push(`load.concurrency ${ctx.concurrency} with backend.batchSize ${s.batchSize}: the worker runs one batch at a time, so requests beyond a batch wait, and the wait is in their TTFT`)
  const request = async (msg: Record<string, unknown>) => {
    try {
      return await client.request(msg)
    } catch (e) {
      throw explainWorkerError(e, { ...failure, phase: 'run' })
    }
  }
  return {
    batchCounters: batcher.counters,
    backendVersion: `transformers ${v.transformers}`,
    model: { name: failure.model, path: loaded.model.path, file_size_mb: loaded.model.file_size_mb, parameters: loaded.model.parameters, architecture: loaded.model.architecture, shape: loaded.model.shape, precision: loaded.model.precision },
    latencyMode: s.batchSize > 1 ? 'PER_REQUEST_BATCH' : 'TRUE_STREAMING',
    // with ignoreEos the worker sets min_new_tokens to the batch's longest length and cuts each row at its own
    outputLengths: ctx.generation.ignoreEos ? 'enforced' : 'capped',
    software: { python: v.python, torch: v.torch, transformers: v.transformers, 'torch.cuda': v.cuda, cuda_devices: v.devices.length ? v.devices.join(', ') : null, cuda_visible_devices: v.cuda_visible_devices },
    settings: {
      python: s.python, python_executable: s.hello.executable, worker_pid: client.pid, worker_script: workerScript(), protocol: PROTOCOL_VERSION,
      batch_size: s.batchSize, batch_window_ms: size > 1 ? s.windowMs : 0, padding_side: s.paddingSide, local_files_only: o.localFilesOnly ?? false,
      device_map: o.deviceMap ?? null, attn_implementation: o.attnImplementation ?? null, quantization: o.quantization ?? null, torch_compile: o.torchCompile ?? false, tokenizer: o.tokenizer ?? null,
      clock_sync: s.clock.method, clock_ping_rtt_ms: s.clock.rttMs,
      ...loaded.settings,
    },
    tokenizer: {
      tokenize: async (text) => (await request({ t: 'tokenize', text })).ids as number[],
      detokenize: async (ids) => (await request({ t: 'detokenize', ids })).text as string,
    },
    generate: (req, sink) => batcher.submit(req, sink),
    observeWindow() {
      const before = { ...batcher.counters }
      // the window's memory peak is its own: the allocator's (or RSS) high-water mark starts again here
      const reset = client.request({ t: 'window' }).catch(() => undefined)
      return {
        async stop(): Promise<WindowObservations> {
          await reset
          const c = batcher.counters
          const batches = c.batches - before.batches
          const rows = c.rows - before.rows
          const slots = c.slots - before.slots
          const mem = await client.request({ t: 'stats' })
          return {
            batch: { effective_batch_size: batches > 0 ? rows / batches : null, padding_overhead: slots > 0 ? (c.pads - before.pads) / slots : null },
            memory: { peak_memory_mb: (mem.peak_mb as number | null) ?? null, model_memory_mb: loaded.memory.model_mb, source: String(mem.source) },
            // model_generate_ms against the window's length: how busy the worker was
            server: { batches, rows, pad_tokens: c.pads - before.pads, input_slots: slots, model_generate_ms: c.modelMs - before.modelMs, worker_pid: client.pid },
            warnings,
          }
        },
      }
    },
    async close() {
      await client.stop()
    },
  }
}
