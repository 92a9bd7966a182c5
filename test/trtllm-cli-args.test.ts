/**
 * Every `trtllm-serve` command line llem builds (plugins/backends/trtllm) against trtllm-serve's own
 * options as its source declares them (test/fixtures/engines/trtllm-serve-options.ts: tensorrt-llm
 * cannot be installed here, so its click parser cannot run; the reason is there). Each option alone
 * and all together; a flag the source does not declare, or a value of the wrong type, fails.
 *
 * serve.py at the stored commit has no served-model-name option: llem builds none, refuses
 * `servedModelName` for trtllm as bad input, and asks the running server for the model's name.
 */
import { describe, expect, it } from 'vitest'
import { trtllmArgs, trtllmBackend, trtllmOptionsSchema, type TrtllmOptions } from '../plugins/backends/trtllm/index.js'
import { clickRefusal, TRTLLM_SERVE_OPTIONS } from './fixtures/engines/trtllm-serve-options.js'

const CASES: { name: string; options: TrtllmOptions }[] = [
  ...(['pytorch', 'tensorrt', '_autodeploy'] as const).map((b) => ({ name: `backend ${b}`, options: { backend: b } })),
  { name: 'tokenizer', options: { tokenizer: '/models/tok' } },
  { name: 'maxBatchSize', options: { maxBatchSize: 64 } },
  { name: 'maxNumTokens', options: { maxNumTokens: 8192 } },
  { name: 'maxSeqLen', options: { maxSeqLen: 4096 } },
  { name: 'tpSize', options: { tpSize: 2 } },
  { name: 'ppSize', options: { ppSize: 2 } },
  { name: 'epSize', options: { epSize: 4 } },
  { name: 'kvCacheFreeGpuMemoryFraction', options: { kvCacheFreeGpuMemoryFraction: 0.85 } },
  { name: 'trustRemoteCode', options: { trustRemoteCode: true } },
  { name: 'extraLlmApiOptions', options: { extraLlmApiOptions: { enable_chunked_prefill: true } } },
  {
    name: 'all together',
    options: { backend: 'pytorch', tokenizer: 't', maxBatchSize: 8, maxNumTokens: 2048, maxSeqLen: 1024, tpSize: 2, ppSize: 1, epSize: 1, kvCacheFreeGpuMemoryFraction: 0.9, trustRemoteCode: true },
  },
]

describe("trtllm-serve's declared options accept the command lines llem builds", () => {
  it('each option alone and all together', () => {
    for (const c of CASES) {
      const argv = trtllmArgs('/models/llama', 8123, trtllmOptionsSchema.parse(c.options), '/tmp/extra.yaml').slice(1)
      expect(clickRefusal(argv), `${c.name}: ${argv.join(' ')}`).toBeNull()
    }
  })

  it('no served-model-name flag: serve.py declares none, and servedModelName is refused before anything runs', async () => {
    const declared = new Set(TRTLLM_SERVE_OPTIONS.flatMap((o) => o.names))
    expect(declared.has('--served_model_name')).toBe(false)
    expect(declared.has('--served-model-name')).toBe(false)
    const argv = trtllmArgs('/models/llama', 8123, trtllmOptionsSchema.parse({}), '/tmp/extra.yaml').slice(1)
    expect(argv.some((a) => a.startsWith('--served'))).toBe(false)
    await expect(trtllmBackend.validate!({ model: '/models/llama', options: trtllmOptionsSchema.parse({ servedModelName: 'm' }), where: 'b.bench.ts:3:1' } as never)).rejects.toThrow(
      /b\.bench\.ts:3:1: backend\.servedModelName: trtllm-serve has no option to name the served model/,
    )
  })

  it('the transcription refuses what click would: an unknown flag, a bad int, a bad choice', () => {
    expect(clickRefusal(['m', '--max-batch-size', '4'])).toBe('No such option: --max-batch-size')
    expect(clickRefusal(['m', '--max_batch_size', 'many'])).toContain("'many' is not a valid integer")
    expect(clickRefusal(['m', '--backend', 'onnx'])).toContain("'onnx' is not one of")
  })
})
