/**
 * A result names its GPU as the host does. The worker sees its GPU as CUDA device 0 whichever GPU it
 * was placed on; gpu_id, devices[].index, `device` and the timeline's columns must use the host's
 * NVML index (what nvidia-smi shows), with the worker's CUDA index beside it. Two fake GPUs, the
 * experiment placed on the second by --gpus; real llama.cpp on the CPU.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildFakeNvml, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { makeProject, runCli } from './fixtures/project.js'

const CONFIG = `export default {
  measurement: { baseline: { seconds: 0.2, ttlSeconds: 0 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },
}
`
const BENCH = `import { bench } from 'llem'\nbench('on gpu two', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 5 } })\n`

describe('GPU numbering in results', () => {
  it('an experiment placed on NVML GPU 1 reports index 1 (cuda_index 0 in its worker)', async () => {
    const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/g.bench.ts': BENCH })
    const env = {
      LD_LIBRARY_PATH: buildFakeNvml('current'),
      FAKE_NVML_CONFIG: writeFakeNvmlConfig('device uuid=GPU-one name="GPU One" arch=9 period_ms=5\ndevice uuid=GPU-two name="GPU Two" arch=9 period_ms=5\n'),
    }
    const r = await runCli(dir, ['bench', '--gpus', 'GPU-two'], env)
    expect(r.code, r.stderr).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
    const [agg] = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
    const raw = agg.process_results[0]
    expect(raw.devices).toEqual([expect.objectContaining({ uuid: 'GPU-two', index: 1, cuda_index: 0, driver_index: 1 })])
    expect(raw.gpu_id).toBe(1)
    expect(raw.device).toBe('cuda:1')
    expect(raw.environment.probes.nvml.gpus[0]).toMatchObject({ uuid: 'GPU-two', index: 1, cuda_index: 0 })
    // the timeline's columns carry the same number
    const header = readFileSync(path.join(runDir, raw.timeseries_path), 'utf8').split('\n')[0].split(',')
    expect(header).toContain('gpu1_power_w')
    expect(header.some((c) => c.startsWith('gpu0_'))).toBe(false)
  })
})
