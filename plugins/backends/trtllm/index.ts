/**
 * The `trtllm` backend: `trtllm-serve <model>` with TensorRT-LLM's own flags, started, health-checked,
 * measured and stopped like the vllm backend. Its /metrics is not Prometheus: it returns the executor's
 * iteration stats since the previous call, and with the PyTorch flow only when `enable_iter_perf_stats`
 * is set in the extra LLM API options, so llem sets it there (in a YAML file it writes next to the
 * options you give; see extraOptionsYaml).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { z } from 'zod'
import type { Backend } from 'llem/plugin/runtime'
import { InputError, lazySchema } from 'llem/plugin/runtime'
import { readTrtllm } from '../managed/engine-metrics.js'
import { checkParallelism, managedCommonOptions, modelArgument, validateModel } from '../managed/common.js'
import { freePort, managedSession } from '../server/index.js'

export const trtllmOptionsSchema = lazySchema((z) =>
  z.strictObject({
    ...managedCommonOptions(z),
    /** TensorRT-LLM's runtime: the PyTorch flow, a built TensorRT engine, or AutoDeploy */
    backend: z.enum(['pytorch', 'tensorrt', '_autodeploy']).optional(),
    tokenizer: z.string().min(1).optional(),
    maxBatchSize: z.int().positive().optional(),
    maxNumTokens: z.int().positive().optional(),
    maxSeqLen: z.int().positive().optional(),
    tpSize: z.int().positive().optional(),
    ppSize: z.int().positive().optional(),
    epSize: z.int().positive().optional(),
    /** fraction of the GPU memory left after weights that the KV cache takes */
    kvCacheFreeGpuMemoryFraction: z.number().gt(0).max(1).optional(),
    trustRemoteCode: z.boolean().optional(),
    /** the extra LLM API options (TorchLlmArgs fields), written to the YAML file trtllm-serve reads */
    extraLlmApiOptions: z.record(z.string(), z.unknown()).optional(),
  }),
)
export type TrtllmOptions = z.infer<typeof trtllmOptionsSchema>

export function trtllmArgs(model: string, port: number, o: TrtllmOptions, optionsFile: string): string[] {
  const a = [o.executable ?? 'trtllm-serve', model, '--host', '127.0.0.1', '--port', String(port)]
  const value = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) a.push(flag, String(v))
  }
  value('--backend', o.backend)
  value('--tokenizer', o.tokenizer)
  value('--max_batch_size', o.maxBatchSize)
  value('--max_num_tokens', o.maxNumTokens)
  value('--max_seq_len', o.maxSeqLen)
  value('--tp_size', o.tpSize)
  value('--pp_size', o.ppSize)
  value('--ep_size', o.epSize)
  value('--kv_cache_free_gpu_memory_fraction', o.kvCacheFreeGpuMemoryFraction)
  if (o.trustRemoteCode) a.push('--trust_remote_code')
  a.push('--extra_llm_api_options', optionsFile)
  return [...a, ...(o.extraArgs ?? [])]
}

/**
 * JSON is valid YAML, so the options file needs no YAML writer. Iteration stats are turned on for the
 * PyTorch flow (the default), the only one whose LLM API options declare `enable_iter_perf_stats`
 * (TorchLlmArgs): the TensorRT engine's and AutoDeploy's options forbid unknown fields, so the key
 * would stop the server at start-up, and a TensorRT engine keeps iteration stats on by itself.
 */
export function extraOptionsYaml(o: TrtllmOptions): string {
  const pytorch = o.backend === undefined || o.backend === 'pytorch'
  return JSON.stringify({ ...o.extraLlmApiOptions, ...(pytorch ? { enable_iter_perf_stats: true } : {}) }, null, 2) + '\n'
}

export const trtllmBackend: Backend<TrtllmOptions> = {
  name: 'trtllm',
  options: trtllmOptionsSchema,
  async validate({ model, options, where }) {
    validateModel('trtllm', model, where)
    // serve.py declares no served-model-name option: click would refuse the flag and the server would not start
    if (options.servedModelName !== undefined)
      throw new InputError('BENCH_INVALID', `${where}: backend.servedModelName: trtllm-serve has no option to name the served model (it serves it under its model argument); remove servedModelName, llem asks the server for the name`)
  },
  async start(ctx) {
    const o = ctx.options
    checkParallelism('trtllm-serve', (o.tpSize ?? 1) * (o.ppSize ?? 1), ctx)
    const model = modelArgument(ctx.model, ctx.baseDir)!
    const port = await freePort()
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-trtllm-'))
    const optionsFile = path.join(dir, 'extra-llm-api-options.yaml')
    writeFileSync(optionsFile, extraOptionsYaml(o))
    const argv = trtllmArgs(model, port, o, optionsFile)
    try {
      const session = await managedSession(argv, { ...o, command: argv, port, healthPath: '/health' }, ctx, {
        // the name the server gives the model (its model argument, or a folder's name) is asked of /v1/models
        discoverModel: true,
        engine: 'trtllm',
        settings: { engine: 'trtllm-serve', extra_llm_api_options: JSON.parse(extraOptionsYaml(o)) },
        metrics: { path: '/metrics', reader: readTrtllm, format: 'trtllm iteration stats', intervalMs: o.metricsIntervalMs },
        // removed by the server's supervisor once the server is gone: also after a timeout, when this
        // worker is killed before close() can run
        cleanup: [dir],
      })
      return {
        ...session,
        software: { ...session.software, tensorrt_llm: session.backendVersion },
        async close() {
          await session.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    } catch (e) {
      rmSync(dir, { recursive: true, force: true })
      throw e
    }
  },
}
