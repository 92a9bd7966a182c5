import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { createDispatcher } from '../core/reporters/dispatch.js'
import { loadReporters } from '../core/reporters/load-reporters.js'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import type { AggregatedResult } from '../core/results/schema.js'
import { dateId, LM_EVAL_METRICS, sanitizeModelName, writeLmEval } from '../plugins/reporters/lm-eval.js'
import { gpuResult, repeats } from './fixtures/format-results.js'
import { captureStream } from './fixtures/reporter-context.js'
import { completedResult, failedResult } from './fixtures/results.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-lm-eval-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

// docs/references.md, "Peer formats" (from lm-eval's evaluation_tracker.py): the keys of lm-eval's results file and of its config block
const TOP_KEYS = [
  'results', 'groups', 'group_subtasks', 'configs', 'versions', 'n-shot', 'higher_is_better', 'n-samples', 'config', 'git_hash', 'date',
  'pretty_env_info', 'transformers_version', 'lm_eval_version', 'upper_git_hash', 'tokenizer_pad_token', 'tokenizer_eos_token',
  'tokenizer_bos_token', 'eot_token_id', 'max_length', 'task_hashes', 'model_source', 'model_name', 'model_name_sanitized',
  'system_instruction', 'system_instruction_sha', 'fewshot_as_multiturn', 'chat_template', 'chat_template_sha', 'start_time', 'end_time',
  'total_evaluation_time_seconds',
]
const CONFIG_KEYS = ['model', 'model_args', 'batch_size', 'batch_sizes', 'device', 'use_cache', 'limit', 'bootstrap_iters', 'gen_kwargs', 'random_seed', 'numpy_seed', 'torch_seed', 'fewshot_seed']
const SAMPLE_KEYS = ['doc_id', 'doc', 'target', 'arguments', 'resps', 'filtered_resps', 'filter', 'metrics', 'doc_hash', 'prompt_hash', 'target_hash']

// computed with Python: hashlib.sha256(json.dumps(doc, indent=2, ensure_ascii=False).encode()).hexdigest()
const DOC_HASH_HELLO = '1ed78c45f37a55ee1a5eca4027c6315a19c9535275b410cf5378b33289be650a'
const DOC_HASH_UNKNOWN_3 = '51ac6e48bc80b680a314caae65d5b051622e5810cd42071975547dded26f520f'
const SHA_HELLO = '4ae7c3b6ac0beff671efa8cf57386151c06e58ca53a78d83f36107316cec125f'
const SHA_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

const DATE = new Date(2025, 0, 2, 3, 4, 5, 678)
const write = (results: AggregatedResult[]) => writeLmEval(results, { outputDir: dir, rootDir: dir, date: DATE })
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'))
const readJsonl = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))

describe('lm-eval reporter', () => {
  it('sanitises model names and builds date ids exactly as lm-eval does', () => {
    expect(sanitizeModelName('Qwen/Qwen3-8B')).toBe('Qwen__Qwen3-8B')
    expect(sanitizeModelName('a<>b"c:|d?*e[f]\\g')).toBe('a__b__c__d__e__f__g')
    expect(sanitizeModelName('random:llama-25m')).toBe('random__llama-25m')
    expect(dateId(DATE)).toBe('2025-01-02T03-04-05.678000')
    // Python's isoformat leaves out a zero fraction
    expect(dateId(new Date(2025, 10, 28, 23, 59, 1, 0))).toBe('2025-11-28T23-59-01')
  })

  it('writes results_{date_id}.json under the sanitised model name, with exactly the harness keys', async () => {
    const files = await write([gpuResult(), failedResult])
    const modelDir = join(dir, 'Qwen__Qwen3-8B')
    const resultsFile = join(modelDir, 'results_2025-01-02T03-04-05.678000.json')
    expect(files).toContain(resultsFile)
    const doc = readJson(resultsFile)
    expect(Object.keys(doc)).toEqual(TOP_KEYS)
    expect(Object.keys(doc.config)).toEqual(CONFIG_KEYS)
    expect(doc.model_name).toBe('Qwen/Qwen3-8B')
    expect(doc.model_name_sanitized).toBe('Qwen__Qwen3-8B')
    expect(doc.config).toMatchObject({ model: 'vllm', batch_size: 4, batch_sizes: [], device: 'cuda:0,cuda:1', bootstrap_iters: 1000, numpy_seed: null, torch_seed: null, fewshot_seed: null })
    expect(doc.config.model_args).toBe('model=Qwen/Qwen3-8B,maxNumSeqs=4,tensorParallelSize=2')
    // not applicable to llem: lm-eval's own "none" values
    expect(doc).toMatchObject({ groups: {}, lm_eval_version: null, tokenizer_pad_token: null, eot_token_id: null, system_instruction: null, fewshot_as_multiturn: false, chat_template: null })
    expect(typeof doc.total_evaluation_time_seconds).toBe('string')

    const task = 'chat-qwen-abcdef12'
    expect(Object.keys(doc.results)).toEqual([task])
    const metrics = doc.results[task]
    expect(metrics.alias).toBe('chat > qwen')
    expect(Object.keys(metrics)).toEqual(['alias', ...LM_EVAL_METRICS.flatMap((m) => [`${m.name},none`, `${m.name}_stderr,none`])])
    expect(metrics['energy_per_token_j,none']).toBeCloseTo(11_700 / 512, 10)
    expect(metrics['output_tok_s,none']).toBeCloseTo(512 / 39, 10)
    expect(metrics['avg_power_w,none']).toBeCloseTo(300, 10)
    expect(metrics['ttft_ms_p50,none']).toBe(completedResult.latency_stats!.ttft_median_ms)
    expect(metrics['itl_ms_p50,none']).toBe(completedResult.latency_stats!.itl_median_ms)
    expect(metrics['e2e_ms_p50,none']).toBe(completedResult.latency_stats!.e2e_median_ms)
    // one run, nothing to bootstrap: lm-eval's "N/A"
    expect(metrics['energy_per_token_j_stderr,none']).toBe('N/A')
    expect(doc.higher_is_better[task]).toMatchObject({ energy_per_token_j: false, output_tok_s: true, ttft_ms_p50: false })
    expect(doc['n-shot'][task]).toBe(0)
    expect(doc['n-samples'][task]).toEqual({ original: 16, effective: 16 })
    expect(doc.group_subtasks[task]).toEqual([])
    expect(doc.configs[task].metadata.llem).toMatchObject({ task_hash: 'abcdef1234567890', repeats: 1, completed: 1, energy_method: 'counter' })

    // the failed experiment's model has its own directory; its task has no numbers
    const failed = readJson(join(dir, 'tiny-random', 'results_2025-01-02T03-04-05.678000.json'))
    expect(failed.results['tiny-prefill-ef901234']['energy_per_token_j,none']).toBeNull()
    expect(failed.results['tiny-prefill-ef901234']['energy_per_token_j_stderr,none']).toBe('N/A')
    expect(failed.configs['tiny-prefill-ef901234'].metadata.llem.errors[0].code).toBe('MODEL_NOT_FOUND')
  })

  it('writes samples_{task}_{date_id}.jsonl: one sample per request with hashes as lm-eval computes them', async () => {
    await write([gpuResult()])
    const modelDir = join(dir, 'Qwen__Qwen3-8B')
    const samples = readJsonl(join(modelDir, 'samples_chat-qwen-abcdef12_2025-01-02T03-04-05.678000.jsonl'))
    expect(samples).toHaveLength(16)
    const [first, second] = samples
    expect(Object.keys(first).slice(0, SAMPLE_KEYS.length)).toEqual(SAMPLE_KEYS)
    expect(first).toMatchObject({
      doc_id: 0,
      doc: { prompt: 'Hello, world', prompt_id: 0 },
      target: '',
      arguments: { gen_args_0: { arg_0: 'Hello, world', arg_1: completedResult.effective_config.generation } },
      resps: [[null]],
      filtered_resps: [null],
      filter: 'none',
      doc_hash: DOC_HASH_HELLO,
      prompt_hash: SHA_HELLO,
      target_hash: SHA_EMPTY,
      energy_j: 0.5,
      ttft_ms: 100,
      e2e_ms: 9000,
      output_tokens: 32,
      success: 1,
    })
    // each listed metric has its value at the top level, as lm-eval writes samples
    for (const m of first.metrics) expect(first).toHaveProperty(m)
    expect(second.doc).toEqual({ prompt: 'Tell me: a story', prompt_id: 1 })
    expect(samples.map((s) => s.doc_id)).toEqual([...Array(16).keys()])

    const doc = readJson(join(modelDir, 'results_2025-01-02T03-04-05.678000.json'))
    const expected = createHash('sha256').update(samples.map((s) => s.doc_hash + s.prompt_hash + s.target_hash).join('')).digest('hex')
    expect(doc.task_hashes['chat-qwen-abcdef12']).toBe(expected)
  })

  it('escapes prompts with quotes, line breaks, backslashes and non-ASCII text, and hashes them as Python would', async () => {
    const prompt = 'Say "hi"\n— café \\ ok'
    const r = gpuResult()
    r.effective_config = { ...r.effective_config, dataset: { prompts: [prompt], repeat: 16 } }
    await write([r])
    const [sample] = readJsonl(join(dir, 'Qwen__Qwen3-8B', 'samples_chat-qwen-abcdef12_2025-01-02T03-04-05.678000.jsonl'))
    expect(sample.doc.prompt).toBe(prompt)
    expect(sample.arguments.gen_args_0.arg_0).toBe(prompt)
    // hashlib.sha256(json.dumps({"prompt": p, "prompt_id": 0}, indent=2, ensure_ascii=False).encode()) and of p itself
    expect(sample.doc_hash).toBe('e9f3948a2db05a673dbc6323e150baedf4cdf07ee28136d5b46976a669348825')
    expect(sample.prompt_hash).toBe('5b181a31796a2c16e3cc9a7533c09f123da73a3edb1ec999264574208e918383')
  })

  it('leaves the prompt unknown (null, with no prompt hash) when the dataset cannot be read again', async () => {
    await write([completedResult])
    const [sample] = readJsonl(join(dir, 'tiny-random', 'samples_tiny-decode-load-concurrency-2-abcd1234_2025-01-02T03-04-05.678000.jsonl'))
    expect(sample.doc).toEqual({ prompt: null, prompt_id: 3 })
    expect(sample.doc_hash).toBe(DOC_HASH_UNKNOWN_3)
    expect(sample.prompt_hash).toBeNull()
    expect(sample.arguments.gen_args_0.arg_0).toBeNull()
  })

  it("folds repeats into one task: the mean, and the mean's standard error as lm-eval computes it", async () => {
    const values = [0.004, 0.005, 0.006]
    await write([...repeats(values), gpuResult()])
    const doc = readJson(join(dir, 'tiny-random', 'results_2025-01-02T03-04-05.678000.json'))
    expect(Object.keys(doc.results)).toEqual(['tiny-decode-load-concurrency-2-abcd1234'])
    const task = doc.results['tiny-decode-load-concurrency-2-abcd1234']
    expect(task.alias).toBe('tiny > decode [load.concurrency=2]')
    expect(task['energy_per_token_j,none']).toBeCloseTo(0.005, 12)
    // lm-eval's mean_stderr of three values 0.001 apart: sample sd 0.001 (n - 1), over sqrt(3)
    expect(task['energy_per_token_j_stderr,none']).toBeCloseTo(0.001 / Math.sqrt(3), 12)
    // bootstrap_iters 0: lm-eval computes no standard error
    await writeLmEval([...repeats(values)], { outputDir: join(dir, 'no-se'), rootDir: dir, date: DATE, bootstrapIters: 0 })
    expect(readJson(join(dir, 'no-se', 'tiny-random', 'results_2025-01-02T03-04-05.678000.json')).results['tiny-decode-load-concurrency-2-abcd1234']['energy_per_token_j_stderr,none']).toBe('N/A')
    // identical repeats: a value with no spread
    expect(task['output_tok_s_stderr,none']).toBe(0)
    expect(doc['n-samples']['tiny-decode-load-concurrency-2-abcd1234']).toEqual({ original: 3, effective: 3 })
    expect(readdirSync(join(dir, 'tiny-random')).filter((f) => f.startsWith('samples_'))).toHaveLength(1)
  })

  it('is loaded by name and writes into the directory outputFile names', async () => {
    const base = { runId: 'run-1', runDir: join(dir, 'run'), rootDir: dir, configFile: null, stdout: captureStream().stream, isTTY: false, verbose: false }
    const out = captureStream()
    const [reporter] = await loadReporters(['lm-eval'], { ...base, stdout: out.stream }, { outputFile: { 'lm-eval': 'out/lm/' }, builtins: builtinReporters })
    const [byDefault] = await loadReporters(['lm-eval'], base, { outputFile: null, builtins: builtinReporters })
    const d = createDispatcher([reporter, byDefault])
    const r = gpuResult()
    await d.emit('onExperimentEnd', { id: r.experiment_id, name: r.experiment_name } as ExperimentInfo, r)
    await d.emit('onRunEnd', { runId: 'run-1', runDir: base.runDir, results: [r], skipped: [], durationMs: 1, status: 'passed', repeats: [] } satisfies RunSummary)
    expect(d.errors()).toEqual([])
    expect(readdirSync(join(dir, 'out', 'lm', 'Qwen__Qwen3-8B')).filter((f) => /^results_.*\.json$/.test(f))).toHaveLength(1)
    expect(readdirSync(join(base.runDir, 'lm-eval', 'Qwen__Qwen3-8B')).filter((f) => /^samples_chat-qwen-abcdef12_.*\.jsonl$/.test(f))).toHaveLength(1)
    expect(out.text()).toBe(`lm-eval results written to ${join(dir, 'out', 'lm')}\n`)
    expect(existsSync(join(base.runDir, 'lm-eval'))).toBe(true)
  })
})
