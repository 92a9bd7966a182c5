/**
 * The `vllm` backend: llem starts `vllm serve <model>` on a free loopback port with the options below
 * mapped to vLLM's flags, the experiment's GPUs in its environment (CUDA_VISIBLE_DEVICES from the
 * slot), waits for /health, records the version from /version, measures through the openai client and
 * scrapes /metrics every second of the measured window (running and waiting requests, KV-cache use,
 * prefix-cache hits). The whole process group is stopped at the end, on a crash, timeout or Ctrl-C.
 */
import type { z } from 'zod'
import { lazySchema } from 'llem/plugin/runtime'
import type { Backend } from 'llem/plugin/runtime'
import { readVllm } from '../managed/engine-metrics.js'
import { apiKeyEnv, checkParallelism, managedCommonOptions, modelArgument, secretFlagsToEnv, validateModel } from '../managed/common.js'
import { freePort, managedSession } from '../server/index.js'

export const vllmOptionsSchema = lazySchema((z) =>
  z.strictObject({
    ...managedCommonOptions(z),
    /** embeddings: /v1/embeddings of a pooling model (vLLM serves it for embedding models; see docs/configuration.md) */
    endpoint: z.enum(['completions', 'chat', 'embeddings']).optional(),
    maxNumSeqs: z.int().positive().optional(),
    maxNumBatchedTokens: z.int().positive().optional(),
    tensorParallelSize: z.int().positive().optional(),
    pipelineParallelSize: z.int().positive().optional(),
    dtype: z.enum(['auto', 'half', 'float16', 'bfloat16', 'float', 'float32']).optional(),
    quantization: z.string().min(1).optional(),
    maxModelLen: z.int().positive().optional(),
    gpuMemoryUtilization: z.number().gt(0).max(1).optional(),
    enablePrefixCaching: z.boolean().optional(),
    enableChunkedPrefill: z.boolean().optional(),
    kvCacheDtype: z.string().min(1).optional(),
    enforceEager: z.boolean().optional(),
  }),
)
export type VllmOptions = z.infer<typeof vllmOptionsSchema>

/** llem's option -> vLLM's flag. Booleans use vLLM's --x / --no-x pair so false is said, not implied. */
export function vllmArgs(model: string, port: number, o: VllmOptions, seed: number | null): string[] {
  const a = [o.executable ?? 'vllm', 'serve', model, '--host', '127.0.0.1', '--port', String(port)]
  const value = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) a.push(flag, String(v))
  }
  const toggle = (flag: string, v: boolean | undefined) => {
    if (v !== undefined) a.push(v ? `--${flag}` : `--no-${flag}`)
  }
  value('--served-model-name', o.servedModelName)
  value('--max-num-seqs', o.maxNumSeqs)
  value('--max-num-batched-tokens', o.maxNumBatchedTokens)
  value('--tensor-parallel-size', o.tensorParallelSize)
  value('--pipeline-parallel-size', o.pipelineParallelSize)
  value('--dtype', o.dtype)
  value('--quantization', o.quantization)
  value('--max-model-len', o.maxModelLen)
  value('--gpu-memory-utilization', o.gpuMemoryUtilization)
  toggle('enable-prefix-caching', o.enablePrefixCaching)
  toggle('enable-chunked-prefill', o.enableChunkedPrefill)
  value('--kv-cache-dtype', o.kvCacheDtype)
  if (o.enforceEager) a.push('--enforce-eager')
  if (seed !== null) value('--seed', seed)
  return [...a, ...(o.extraArgs ?? [])]
}

export const vllmBackend: Backend<VllmOptions> = {
  name: 'vllm',
  options: vllmOptionsSchema,
  async validate({ model, where }) {
    validateModel('vllm', model, where)
  },
  async start(ctx) {
    const o = ctx.options
    checkParallelism('vllm', (o.tensorParallelSize ?? 1) * (o.pipelineParallelSize ?? 1), ctx)
    const model = modelArgument(ctx.model, ctx.baseDir)!
    const port = await freePort()
    // an --api-key in extraArgs goes to VLLM_API_KEY, which vLLM reads in its place: never on the command line
    const { argv, env: keyEnv } = secretFlagsToEnv(vllmArgs(model, port, o, ctx.generation.seed), { '--api-key': 'VLLM_API_KEY' })
    const env = { ...o.env, ...keyEnv, ...apiKeyEnv(o.apiKeyEnv, 'VLLM_API_KEY') }
    const session = await managedSession(argv, { ...o, command: argv, env, port, healthPath: '/health', servedModelName: o.servedModelName ?? model }, ctx, {
      settings: { engine: 'vllm' },
      engine: 'vllm',
      metrics: { path: '/metrics', reader: readVllm, format: 'vllm prometheus', intervalMs: o.metricsIntervalMs },
    })
    return { ...session, software: { ...session.software, vllm: session.backendVersion } }
  },
}
