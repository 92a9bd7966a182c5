/**
 * `llem bench` with transformers bench files through the real CLI (built dist/, worker.py found from
 * there) on the real stacks (python-envs.ts): results name the backend, its latency mode, the versions
 * the interpreters report, exact token counts and FLOPs; every kind of bad input fails its own
 * experiment with the cause and the fix while the run goes on; and the fault-injection stand-in makes a
 * worker crash and a CUDA out-of-memory that a CPU cannot produce.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { STAND_IN_MODEL, STAND_IN_PACKAGES } from './fixtures/fault-injection-transformers/start.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'
import { ENV_BUILD_TIMEOUT_MS, OFFLINE_ENV, pythonEnv, stackVersions, tinyModel } from './fixtures/python-envs.js'

function run(dir: string) {
  const root = path.join(dir, 'llem-results')
  const runDir = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  const aggregated = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
  return { runDir, byName: (name: string) => aggregated.find((a) => a.bench.name === name) }
}
const json = (x: unknown) => JSON.stringify(x)

describe('llem bench with the transformers backend', () => {
  const py = { tf5: '', tf4: '', torchOnly: '', tooOld: '' }
  // each stack reads the folder its own transformers saved (a 5.x tokenizer file names a class 4.x lacks)
  const model = { tf5: '', tf4: '' }
  beforeAll(() => {
    py.tf5 = pythonEnv('tf5')
    py.tf4 = pythonEnv('tf4')
    py.torchOnly = pythonEnv('torch-only')
    py.tooOld = pythonEnv('tf-too-old')
    model.tf5 = tinyModel(py.tf5)
    model.tf4 = tinyModel(py.tf4)
  }, ENV_BUILD_TIMEOUT_MS)

  it('real stacks, batch 1 and batch 4: latency mode, versions, exact token counts and FLOPs in the results', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/hf.bench.ts': `import { describe, bench } from 'llem'
const env = ${json(OFFLINE_ENV)}
describe('hf', { model: ${json(model.tf5)}, dataset: { prompts: ['Hello there', 'Tell me a story', 'Hi'] } }, () => {
  bench('tf5 batch 1', { backend: { name: 'transformers', python: ${json(py.tf5)}, env }, load: { requests: 6 } })
  bench('tf5 batch 4', { backend: { name: 'transformers', python: ${json(py.tf5)}, env, batchSize: 4 }, load: { concurrency: 4, requests: 8 } })
  bench('tf4 batch 1', { backend: { name: 'transformers', python: ${json(py.tf4)}, env }, model: ${json(model.tf4)}, load: { requests: 6 } })
})
`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const { runDir, byName } = run(dir)
    for (const [name, python, requests] of [['tf5 batch 1', py.tf5, 6], ['tf5 batch 4', py.tf5, 8], ['tf4 batch 1', py.tf4, 6]] as const) {
      const raw = byName(name).process_results[0]
      const v = stackVersions(python)
      expect(raw.backend).toBe('transformers')
      expect(raw.backend_version).toBe(`transformers ${v.transformers}`)
      expect(raw.environment.software).toMatchObject({ python: v.python, torch: v.torch, transformers: v.transformers })
      expect(raw.environment.backend_settings).toMatchObject({ python_executable: expect.stringContaining(path.dirname(path.dirname(python))), dtype_kwarg: v.transformers.startsWith('4.') ? 'torch_dtype' : 'dtype' })
      expect(raw.environment.backend_settings.worker_script).toMatch(/plugins\/backends\/transformers\/worker\.py$/)
      expect(raw.compute_metrics.flops_method).toBe('architecture')
      expect(raw.extended_metrics.memory.source).toMatch(/^worker process VmHWM/)
      expect(raw.inference_metrics.num_failed_requests).toBe(0)
      // QUICK_CONFIG asks 16 tokens per request, and ignoreEos (the default) gets exactly that many
      expect(raw.inference_metrics.output_tokens).toBe(requests * 16)
      expect(readFileSync(path.join(runDir, raw.log_path), 'utf8')).toMatch(/\[transformers\] worker pid \d+: Python/)
    }
    expect(byName('tf5 batch 1').process_results[0].inference_metrics.latency_measurements.measurement_mode).toBe('TRUE_STREAMING')
    const raw4 = byName('tf5 batch 4').process_results[0]
    expect(raw4.inference_metrics.latency_measurements.measurement_mode).toBe('PER_REQUEST_BATCH')
    expect(raw4.extended_metrics.batch.effective_batch_size).toBe(4)
    expect(raw4.extended_metrics.server).toMatchObject({ batches: 2, rows: 8 })
  })

  it('bad input on the real stack: each experiment fails with the cause and the fix, recorded, and the run goes on', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG })
    // a folder transformers cannot build a config from: an architecture no release knows
    mkdirSync(path.join(dir, 'models', 'unknown-arch'), { recursive: true })
    writeFileSync(path.join(dir, 'models', 'unknown-arch', 'config.json'), json({ model_type: 'nonesuch', hidden_size: 64 }))
    const missing = path.join(dir, 'models', 'not-there')
    mkdirSync(path.join(dir, 'benchmarks'))
    writeFileSync(
      path.join(dir, 'benchmarks', 'bad.bench.ts'),
      `import { describe, bench } from 'llem'
const env = ${json(OFFLINE_ENV)}
const tf5 = { name: 'transformers', python: ${json(py.tf5)}, env }
describe('bad', { model: ${json(model.tf5)}, dataset: { prompts: ['Hello there'] }, load: { requests: 2 } }, () => {
  bench('missing folder', { backend: tf5, model: 'models/not-there' })
  bench('unknown architecture', { backend: tf5, model: 'models/unknown-arch' })
  bench('unknown architecture, 4.36', { backend: { ...tf5, python: ${json(py.tf4)} }, model: 'models/unknown-arch' })
  bench('float16 on the CPU, torch 2.1', { backend: { ...tf5, python: ${json(py.tf4)}, dtype: 'float16' }, model: ${json(model.tf4)} })
  bench('flash attention without flash-attn', { backend: { ...tf5, attnImplementation: 'flash_attention_2' } })
  bench('torch without transformers', { backend: { ...tf5, python: ${json(py.torchOnly)} } })
  bench('transformers too old', { backend: { ...tf5, python: ${json(py.tooOld)} } })
  bench('after them', { backend: tf5 })
})
`,
    )
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const { byName } = run(dir)
    const failed = (name: string, phase: string, code = 'BACKEND_FAILED') => {
      const a = byName(name)
      expect(a.status, name).toBe('failed')
      expect(a.error, name).toMatchObject({ code, phase })
      expect(a.error.message, name).not.toContain('\n')
      return a.error.message as string
    }
    expect(failed('missing folder', 'model_load', 'MODEL_NOT_FOUND')).toMatch(
      new RegExp(`^model "models/not-there" not found: there is no folder ${missing}, and as a hub id: .*Hint: check the path`),
    )
    expect(failed('unknown architecture', 'model_load')).toMatch(
      /^model "models\/unknown-arch": transformers cannot build its config: .*models\/unknown-arch\/config\.json: model_type "nonesuch" is not an architecture transformers 5\.\d+\.\d+ knows\. Hint: fix the config .*pip install -U transformers/,
    )
    // 4.x says only KeyError('nonesuch'): the message still names the field and the file
    expect(failed('unknown architecture, 4.36', 'model_load')).toMatch(/config\.json: model_type "nonesuch" is not an architecture transformers 4\.36\.0 knows\. Hint: /)
    // torch 2.1 has no float16 matmul on the CPU: the first request fails, and the experiment with it
    expect(failed('float16 on the CPU, torch 2.1', 'warmup')).toMatch(
      /^dtype float16 cannot run on the cpu with torch 2\.1\.2(\+\w+)?: "addmm_impl_cpu_" not implemented for 'Half'\. Hint: set backend\.dtype to 'float32'/,
    )
    expect(failed('flash attention without flash-attn', 'model_load')).toMatch(
      /^attnImplementation "flash_attention_2" needs the flash-attn package, which .*python \(Python 3\.\d+\.\d+\) does not have \(FlashAttention2 has been toggled on.*\)\. Hint: .*pip install flash-attn" \(CUDA GPUs only\), or set backend\.attnImplementation to 'sdpa' or 'eager'/,
    )
    expect(failed('torch without transformers', 'model_load')).toMatch(
      /^.*torch-only-\w+\/bin\/python \(Python 3\.\d+\.\d+\) cannot import transformers \(No module named 'transformers'\): .*Hint: ".*python -m pip install torch 'transformers>=4\.36'"/,
    )
    expect(failed('transformers too old', 'model_load')).toMatch(
      /^.*tf-too-old-\w+\/bin\/python \(Python 3\.\d+\.\d+\) has transformers 4\.35\.2, older than 4\.36, the oldest release llem supports\. Hint: ".*python -m pip install -U 'transformers>=4\.36'"/,
    )
    const after = byName('after them')
    expect(after.status).toBe('completed')
    expect(after.process_results[0].inference_metrics.output_tokens).toBe(2 * 16)
  })

  it('fault injection (stand-in packages): a worker crash and a CUDA OOM fail their experiments; the next one runs in a fresh worker', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/faults.bench.ts': `import { describe, bench } from 'llem'
const standIn = { PYTHONPATH: ${json(STAND_IN_PACKAGES)} }
describe('faults', { model: ${json(STAND_IN_MODEL)}, dataset: { prompts: ['Hello there'] }, load: { requests: 4 } }, () => {
  // warmup is generate() call 1: the crash comes in the measured window
  bench('crash', { backend: { name: 'transformers', env: { ...standIn, FAKE_TRANSFORMERS_CRASH_AT_CALL: '3' } } })
  bench('oom', { backend: { name: 'transformers', batchSize: 2, env: { ...standIn, FAKE_TORCH_OOM_ROWS: '2' } }, load: { concurrency: 2, requests: 4 } })
  bench('after', { backend: { name: 'transformers', env: standIn } })
})
`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const { byName } = run(dir)
    const crash = byName('crash')
    expect(crash.status).toBe('failed')
    expect(crash.error).toMatchObject({ code: 'BACKEND_FAILED', phase: 'measure' })
    expect(crash.error.message).toMatch(/^the transformers worker died mid-run: exited \(SIGSEGV\)\. Hint: /)
    const oom = byName('oom')
    expect(oom.error.code).toBe('BACKEND_FAILED')
    expect(oom.error.message).toMatch(/^CUDA out of memory generating a batch of 2 x 16 new tokens/)
    expect(byName('after').status).toBe('completed')
  })
})
