/**
 * llem's engine options -> the engines' command lines, checked against the same argument specs the
 * stand-in executables enforce (test/fixtures/engines/engine-args.mjs): every mapped flag must be one
 * the real CLI accepts, with a value of the type it expects.
 */
import { describe, expect, it } from 'vitest'
import { extraOptionsYaml, trtllmArgs, trtllmOptionsSchema } from '../plugins/backends/trtllm/index.js'
import { vllmArgs, vllmOptionsSchema } from '../plugins/backends/vllm/index.js'
// @ts-expect-error: a plain .mjs fixture without types
import { parseEngineArgs, TRTLLM, VLLM } from './fixtures/engines/engine-args.mjs'

describe('vllm flags', () => {
  it('every option maps to a flag vLLM accepts', () => {
    const o = vllmOptionsSchema.parse({
      maxNumSeqs: 64, maxNumBatchedTokens: 8192, tensorParallelSize: 2, pipelineParallelSize: 1, dtype: 'bfloat16', quantization: 'fp8', maxModelLen: 4096,
      gpuMemoryUtilization: 0.9, enablePrefixCaching: false, enableChunkedPrefill: true, kvCacheDtype: 'fp8', enforceEager: true, servedModelName: 'm', extraArgs: ['--api-key', 'x'],
    })
    const argv = vllmArgs('meta-llama/Llama-3.1-8B', 8123, o, 7)
    const parsed = parseEngineArgs(VLLM, argv.slice(1))
    expect(parsed.error).toBeUndefined()
    expect(parsed.model).toBe('meta-llama/Llama-3.1-8B')
    expect(parsed.values).toMatchObject({ '--port': 8123, '--max-num-seqs': 64, '--tensor-parallel-size': 2, '--dtype': 'bfloat16', '--gpu-memory-utilization': 0.9, '--no-enable-prefix-caching': true, '--enable-chunked-prefill': true, '--kv-cache-dtype': 'fp8', '--enforce-eager': true, '--seed': 7 })
  })

  it('options left out are not passed: the engine\'s defaults stay its own', () => {
    expect(vllmArgs('m', 1, {}, 0)).toEqual(['vllm', 'serve', 'm', '--host', '127.0.0.1', '--port', '1', '--seed', '0'])
  })

  it('unknown llem options are refused by the schema, with the key named', () => {
    const r = vllmOptionsSchema.safeParse({ maxNumSeq: 4 })
    expect(r.success).toBe(false)
    expect(JSON.stringify(r.error!.issues)).toContain('maxNumSeq')
  })
})

describe('trtllm-serve flags', () => {
  it('every option maps to a flag trtllm-serve accepts', () => {
    const o = trtllmOptionsSchema.parse({ backend: 'tensorrt', tokenizer: 't', maxBatchSize: 8, maxNumTokens: 2048, maxSeqLen: 1024, tpSize: 2, ppSize: 1, epSize: 1, kvCacheFreeGpuMemoryFraction: 0.85, trustRemoteCode: true, extraLlmApiOptions: { x: 1 } })
    const argv = trtllmArgs('/models/llama', 9000, o, '/tmp/o.yaml')
    const parsed = parseEngineArgs(TRTLLM, argv.slice(1))
    expect(parsed.error).toBeUndefined()
    expect(parsed.values).toMatchObject({ '--backend': 'tensorrt', '--max_batch_size': 8, '--tp_size': 2, '--kv_cache_free_gpu_memory_fraction': 0.85, '--trust_remote_code': true, '--extra_llm_api_options': '/tmp/o.yaml' })
    // a TensorRT engine's options (TrtLlmArgs) forbid the key and keep iteration stats on by themselves:
    // llem adds nothing (what the user wrote is theirs)
    expect(JSON.parse(extraOptionsYaml(trtllmOptionsSchema.parse({ backend: 'tensorrt', extraLlmApiOptions: { x: 1 } })))).toEqual({ x: 1 })
    expect(JSON.parse(extraOptionsYaml(trtllmOptionsSchema.parse({ backend: '_autodeploy' })))).toEqual({})
  })

  it('the PyTorch flow (the default) gets iteration stats turned on, over a user\'s false', () => {
    // llem needs the stats for the batch size; the result's backend_settings shows the file it wrote
    for (const backend of [undefined, 'pytorch'] as const)
      expect(JSON.parse(extraOptionsYaml(trtllmOptionsSchema.parse({ backend, extraLlmApiOptions: { enable_iter_perf_stats: false, x: 1 } })))).toEqual({ enable_iter_perf_stats: true, x: 1 })
  })

  it('the stand-in rejects what the real CLIs reject', () => {
    expect(parseEngineArgs(TRTLLM, ['m', '--max-batch-size', '4']).error).toContain('No such option')
    expect(parseEngineArgs(VLLM, ['serve', 'm', '--max-num-seqs', 'many']).error).toContain("invalid int value: 'many'")
  })
})
