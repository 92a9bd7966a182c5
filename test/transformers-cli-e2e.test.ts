/**
 * `llem bench` with transformers bench files through the real CLI (built dist/, worker.py found from
 * there) against the fake packages: the results name the backend, its latency mode, the software
 * versions, batch figures and FLOPs; failing experiments (worker crash, CUDA OOM, missing model) are
 * recorded with their cause and the next experiment runs in a fresh worker.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FAKE_PACKAGES } from './fixtures/fake-transformers/start.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

function run(dir: string) {
  const root = path.join(dir, 'llem-results')
  const runDir = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  const aggregated = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
  return { runDir, byName: (name: string) => aggregated.find((a) => a.bench.name === name) }
}

describe('llem bench with the transformers backend', () => {
  it('batch 1 and batch 4: latency mode, versions, batch figures and FLOPs in the results', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/hf.bench.ts': `import { describe, bench } from 'llem'
describe('hf', { backend: { name: 'transformers', python: 'python3' }, model: 'fake/tiny-llama', dataset: { prompts: ['Hello there', 'Tell me a story', 'Hi'] } }, () => {
  bench('batch 1', { load: { requests: 6 } })
  bench('batch 4', { backend: { name: 'transformers', batchSize: 4 }, load: { concurrency: 4, requests: 8 } })
})
`,
    })
    const r = await runCli(dir, ['bench'], { PYTHONPATH: FAKE_PACKAGES })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const { runDir, byName } = run(dir)
    const one = byName('batch 1')
    const four = byName('batch 4')
    for (const a of [one, four]) {
      const raw = a.process_results[0]
      expect(raw.backend).toBe('transformers')
      expect(raw.backend_version).toBe('transformers 4.46.3+fake')
      expect(raw.environment.software).toMatchObject({ torch: '2.5.1+fake', transformers: '4.46.3+fake', python: expect.stringMatching(/^3\.\d+/) })
      expect(raw.environment.backend_settings.worker_script).toMatch(/plugins\/backends\/transformers\/worker\.py$/)
      expect(raw.compute_metrics.flops_method).toBe('architecture')
      expect(raw.extended_metrics.memory.source).toMatch(/^worker process VmHWM/)
      expect(raw.inference_metrics.num_failed_requests).toBe(0)
      // the worker's log lines are kept with the result
      expect(readFileSync(path.join(runDir, raw.log_path), 'utf8')).toMatch(/\[transformers\] worker pid \d+: Python/)
    }
    expect(one.process_results[0].inference_metrics.latency_measurements.measurement_mode).toBe('TRUE_STREAMING')
    expect(one.process_results[0].inference_metrics.output_tokens).toBe(6 * 16)
    const raw4 = four.process_results[0]
    expect(raw4.inference_metrics.latency_measurements.measurement_mode).toBe('PER_REQUEST_BATCH')
    expect(raw4.inference_metrics.output_tokens).toBe(8 * 16)
    expect(raw4.extended_metrics.batch.effective_batch_size).toBe(4)
    expect(raw4.extended_metrics.batch.padding_overhead).toBeGreaterThan(0)
    expect(raw4.extended_metrics.server).toMatchObject({ batches: 2, rows: 8 })
  })

  it('a worker crash, a CUDA OOM and a missing model fail their experiments with the cause; the others complete', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/bad.bench.ts': `import { describe, bench } from 'llem'
const fake = { PYTHONPATH: ${JSON.stringify(FAKE_PACKAGES)} }
describe('hf', { model: 'fake/tiny-llama', dataset: { prompts: ['Hello there'] }, load: { requests: 4 } }, () => {
  // warmup is generate() call 1: the crash comes in the measured window
  bench('crash', { backend: { name: 'transformers', env: { ...fake, FAKE_TRANSFORMERS_CRASH_AT_CALL: '3' } } })
  bench('oom', { backend: { name: 'transformers', batchSize: 2, env: { ...fake, FAKE_TORCH_OOM_ROWS: '2' } }, load: { concurrency: 2, requests: 4 } })
  bench('after', { backend: { name: 'transformers', env: fake } })
  bench('missing', { backend: { name: 'transformers', env: fake }, model: 'nobody/no-such-model' })
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
    const missing = byName('missing')
    expect(missing.error).toMatchObject({ code: 'MODEL_NOT_FOUND', phase: 'model_load' })
    expect(existsSync(path.join(dir, 'llem-results'))).toBe(true)
  })
})
