/**
 * The managed `trtllm` backend end to end, against the stand-in `trtllm-serve` (its click-style flag
 * checks, llama-server behind its HTTP surface, and /metrics as JSON iteration stats drained per call):
 * flag mapping, the extra LLM API options file with iteration stats switched on, the batch read from
 * the iteration stats, and a kebab-case flag rejected as the real CLI rejects it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { alive, engineEnv, runResults } from './fixtures/engines.js'
import { llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

let env: () => Record<string, string>
beforeAll(async () => {
  const bin = llamaServerPath()
  const model = await tinyModelPath()
  env = () => engineEnv(bin, model)
}, 1_800_000)

const trtBench = (name: string, options: string, extra = '') =>
  `import { bench } from 'llem'\nbench(${JSON.stringify(name)}, { backend: { name: 'trtllm', extraBody: { cache_prompt: false }, metricsIntervalMs: 100, ${options} }, model: process.env.TINY_MODEL, dataset: { prompts: ['Hello there', 'Tell me a story'] }, ${extra} })\n`

describe('the trtllm backend', () => {
  it('maps options to trtllm-serve flags and reads the batch from its iteration stats', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/t.bench.ts': trtBench('trt', "backend: 'pytorch', maxBatchSize: 2, maxNumTokens: 512, kvCacheFreeGpuMemoryFraction: 0.9, extraLlmApiOptions: { enable_chunked_prefill: true }", 'load: { concurrency: 4, requests: 100000, duration: 1.5 }, generation: { maxTokens: 32 }'),
    })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const raw = runResults(dir)[0].process_results[0]
    const settings = raw.environment.backend_settings
    expect(raw.inference_metrics.num_failed_requests, JSON.stringify(raw.requests.find((q: any) => !q.ok))).toBe(0)
    const cmd = settings.command.join(' ')
    expect(settings.command[0]).toBe('trtllm-serve')
    expect(cmd).toContain('--backend pytorch --max_batch_size 2 --max_num_tokens 512 --kv_cache_free_gpu_memory_fraction 0.9 --extra_llm_api_options ')
    expect(settings.extra_llm_api_options).toEqual({ enable_chunked_prefill: true, enable_iter_perf_stats: true })
    expect(raw.environment.software.tensorrt_llm).toBe('1.1.0+standin')
    const server = raw.extended_metrics.server
    expect(server.metrics_format).toBe('trtllm iteration stats')
    expect(server.failed_scrapes).toBe(0)
    expect(server.running_requests_max).toBeLessThanOrEqual(2)
    expect(server.running_requests_max).toBeGreaterThan(1)
    expect(server.waiting_requests_max).toBeGreaterThan(0)
    expect(raw.extended_metrics.batch.effective_batch_size).toBeLessThanOrEqual(2.0001)
    expect(raw.extended_metrics.kv_cache.kv_cache_usage_mean).toBeGreaterThan(0)
    expect(alive(settings.server_pid)).toBe(false)
  })

  it('a TensorRT engine starts: its options file gets no PyTorch-only key, and its iteration stats are read', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/t.bench.ts': trtBench('trt engine', "backend: 'tensorrt', maxBatchSize: 2", 'load: { concurrency: 3, requests: 100000, duration: 1 }, generation: { maxTokens: 16 }'),
    })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const raw = runResults(dir)[0].process_results[0]
    expect(raw.environment.backend_settings.extra_llm_api_options).toEqual({})
    expect(raw.inference_metrics.num_failed_requests).toBe(0)
    expect(raw.extended_metrics.server.failed_scrapes).toBe(0)
    expect(raw.extended_metrics.server.running_requests_max).toBe(2)
  })

  it('a vLLM-style flag is rejected the way trtllm-serve rejects it', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/t.bench.ts': trtBench('bad flag', "extraArgs: ['--max-batch-size', '4']") })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code).toBe(1)
    const [a] = runResults(dir)
    expect(a.error.message).toContain('exited (code 2)')
    expect(a.error.message).toContain('No such option: --max-batch-size')
  })
})
