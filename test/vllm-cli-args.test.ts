/**
 * Every `vllm serve` command line llem builds (plugins/backends/vllm) is parsed by vLLM's own CLI at the
 * pinned version (requirements/vllm.txt), in a real vLLM install: vLLM cannot serve on this CPU machine,
 * but its parser, its serve command's validation and its engine-argument mapping run. A flag vLLM renamed
 * or dropped, a value of the wrong type or an enum value it no longer knows fails here, not on a GPU.
 * The expected parsed values are the option values llem was given; the parser is vLLM's.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { vllmArgs, vllmOptionsSchema, type VllmOptions } from '../plugins/backends/vllm/index.js'
import { REPO } from './fixtures/project.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

interface Parsed {
  ok: boolean
  error: string | null
  args: Record<string, unknown>
}

/** One vLLM process parses them all (importing vLLM takes seconds). */
function parseWithVllm(python: string, argvs: string[][]): Parsed[] {
  const out = execFileSync(python, [path.join(REPO, 'test', 'python', 'vllm_serve_args.py')], {
    input: JSON.stringify(argvs),
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', VLLM_NO_USAGE_STATS: '1', DO_NOT_TRACK: '1' },
    stdio: ['pipe', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  })
  return out.split('\n').filter((l) => l.startsWith('LLEM-RESULT ')).map((l) => JSON.parse(l.slice('LLEM-RESULT '.length)))
}

/** Each option alone (both values of a boolean, every dtype), then all of them together. */
const CASES: { name: string; options: VllmOptions; expect: Record<string, unknown> }[] = [
  { name: 'servedModelName', options: { servedModelName: 'my-model' }, expect: { served_model_name: ['my-model'] } },
  { name: 'maxNumSeqs', options: { maxNumSeqs: 64 }, expect: { max_num_seqs: 64 } },
  { name: 'maxNumBatchedTokens', options: { maxNumBatchedTokens: 8192 }, expect: { max_num_batched_tokens: 8192 } },
  { name: 'tensorParallelSize', options: { tensorParallelSize: 2 }, expect: { tensor_parallel_size: 2 } },
  { name: 'pipelineParallelSize', options: { pipelineParallelSize: 2 }, expect: { pipeline_parallel_size: 2 } },
  ...(['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'] as const).map((d) => ({ name: `dtype ${d}`, options: { dtype: d }, expect: { dtype: d } })),
  { name: 'quantization', options: { quantization: 'fp8' }, expect: { quantization: 'fp8' } },
  { name: 'maxModelLen', options: { maxModelLen: 4096 }, expect: { max_model_len: 4096 } },
  { name: 'gpuMemoryUtilization', options: { gpuMemoryUtilization: 0.85 }, expect: { gpu_memory_utilization: 0.85 } },
  { name: 'enablePrefixCaching true', options: { enablePrefixCaching: true }, expect: { enable_prefix_caching: true } },
  { name: 'enablePrefixCaching false', options: { enablePrefixCaching: false }, expect: { enable_prefix_caching: false } },
  { name: 'enableChunkedPrefill true', options: { enableChunkedPrefill: true }, expect: { enable_chunked_prefill: true } },
  { name: 'enableChunkedPrefill false', options: { enableChunkedPrefill: false }, expect: { enable_chunked_prefill: false } },
  { name: 'kvCacheDtype', options: { kvCacheDtype: 'fp8' }, expect: { kv_cache_dtype: 'fp8' } },
  { name: 'enforceEager', options: { enforceEager: true }, expect: { enforce_eager: true } },
  {
    name: 'all together',
    options: {
      servedModelName: 'm', maxNumSeqs: 32, maxNumBatchedTokens: 4096, tensorParallelSize: 2, pipelineParallelSize: 1, dtype: 'bfloat16', quantization: 'fp8', maxModelLen: 2048,
      gpuMemoryUtilization: 0.9, enablePrefixCaching: false, enableChunkedPrefill: true, kvCacheDtype: 'fp8', enforceEager: true,
    },
    expect: { max_num_seqs: 32, tensor_parallel_size: 2, dtype: 'bfloat16', enable_prefix_caching: false, enable_chunked_prefill: true, enforce_eager: true },
  },
]

let python: string
beforeAll(() => {
  python = pythonEnv('vllm')
}, ENV_BUILD_TIMEOUT_MS)

describe("vLLM's own parser accepts every command line llem builds", () => {
  it('each option, alone and together, parses to the value llem was given; the engine args build', () => {
    // a local folder, as llem passes a `{ path }` model: offline, vLLM only resolves a hub id through
    // the hub cache, and no model is loaded here (building the engine args does not read it)
    const model = mkdtempSync(path.join(os.tmpdir(), 'llem-vllm-model-'))
    const argvs = CASES.map((c) => vllmArgs(model, 8123, vllmOptionsSchema.parse(c.options), 7).slice(1))
    // controls: the harness must see a refusal when there is one, or a pass above would mean nothing
    argvs.push(['serve', model, '--max-num-sequences', '4'], ['serve', model, '--max-num-seqs', 'many'], ['serve', model, '--dtype', 'float64'])
    const results = parseWithVllm(python, argvs)
    expect(results).toHaveLength(argvs.length)
    CASES.forEach((c, i) => {
      const r = results[i]
      expect(r.error, `${c.name}: ${argvs[i].join(' ')}`).toBeNull()
      expect(r.ok).toBe(true)
      expect(r.args.model_tag, c.name).toBe(model)
      expect(r.args.port, c.name).toBe(8123)
      expect(r.args.host, c.name).toBe('127.0.0.1')
      expect(r.args.seed, c.name).toBe(7)
      for (const [dest, v] of Object.entries(c.expect)) expect(r.args[dest], `${c.name}: ${dest}`).toEqual(v)
    })
    const [renamed, badInt, badChoice] = results.slice(CASES.length)
    expect(renamed.error).toContain('unrecognized arguments: --max-num-sequences')
    expect(badInt.error).toContain("invalid int value: 'many'")
    expect(badChoice.error).toContain("invalid choice: 'float64'")
  }, 300_000)
})
