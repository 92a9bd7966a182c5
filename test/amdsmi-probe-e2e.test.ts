/**
 * AMD GPU energy end to end through the real CLI, with the fake libamd_smi (compiled from C at test
 * time) on LD_LIBRARY_PATH and a scripted power trace: the counter's energy against the trace, the
 * device named in the result, the worker pinned by ROCR_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES when
 * --gpus picks one GPU, and `llem env` listing what AMD SMI sees. The workload is real llama.cpp on
 * the CPU; no NVML is on the loader path, so the AMD GPUs are the only GPU slots.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildFakeAmdSmi, writeFakeAmdSmiConfig } from './fixtures/fake-amdsmi/build.js'
import { makeProject, runCli } from './fixtures/project.js'

let lib: string
beforeAll(() => {
  lib = buildFakeAmdSmi()
})

const CONFIG = `export default {
  measurement: { baseline: { seconds: 0.3, ttlSeconds: 0 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
}
`
const BENCH = `import { bench } from 'llem'
bench('amd', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 1000000, duration: 1.2 } })
`
const TWO = 'gpu name="AMD Instinct MI300X" serial=0x7be23b1c9c3a1a2f device_id=0x74a1 idle_w=120\ngpu name="AMD Instinct MI300X" serial=0x11223344556677aa device_id=0x74a1 idle_w=180\n'

async function bench(script: string, args: string[] = []) {
  const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/a.bench.ts': BENCH })
  const r = await runCli(dir, ['bench', ...args], { LD_LIBRARY_PATH: lib, FAKE_AMDSMI_CONFIG: writeFakeAmdSmiConfig(script) })
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
  const agg = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))[0]
  const manifest = JSON.parse(readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
  return { r, raw: agg.process_results[0], manifest }
}

describe('amdsmi probe end to end (fake library)', () => {
  it('measures GPU energy from the accumulator and names the device', async () => {
    const { r, raw } = await bench('gpu name="AMD Instinct MI300X" serial=0x7be23b1c9c3a1a2f device_id=0x74a1 period_ms=1 idle_w=140\npower 0 0 inf 450\n')
    expect(r.code, r.stderr).toBe(0)
    const e = raw.energy_metrics
    expect(e.component_methods.gpu).toEqual({ probe: 'amdsmi', method: 'counter', confidence: 'high' })
    // the trace is 450 W: the accumulator over the window, within 0.5%
    expect(e.gpu_energy_j / e.duration_sec).toBeGreaterThan(450 * 0.995)
    expect(e.gpu_energy_j / e.duration_sec).toBeLessThan(450 * 1.005)
    expect(raw.devices).toEqual([expect.objectContaining({ probe: 'amdsmi', index: 0, cuda_index: 0, uuid: '7bff74a1-0000-1000-80e2-3b1c9c3a1a2f', name: 'AMD Instinct MI300X', is_mig: false })])
    expect(raw.gpu_name).toBe('AMD Instinct MI300X')
    // integrated socket power agrees with the counter
    expect(raw.energy_validation.checks[0].agrees).toBe(true)
    expect(raw.environment.probes.amdsmi).toMatchObject({ api: 'AMD SMI 24.6.3 API (ROCm 6.2.2)', gpus: [expect.objectContaining({ rocr_uuid: 'GPU-7be23b1c9c3a1a2f', power_reading: 'current_socket_power' })] })
  })

  it('--gpus 1 pins the worker to the second GPU by ROCR_VISIBLE_DEVICES, and only it is measured', async () => {
    const { r, raw, manifest } = await bench(TWO, ['--gpus', '1'])
    expect(r.code, r.stderr).toBe(0)
    expect(manifest.environment.gpu_slots).toEqual([{ uuid: '11ff74a1-0000-1000-8022-3344556677aa', index: 1, name: 'AMD Instinct MI300X', vendor: 'amd', rocr_id: 'GPU-11223344556677aa' }])
    expect(raw.devices.map((d: { index: number; cuda_index: number }) => [d.index, d.cuda_index])).toEqual([[1, 0]])
    // 180 W is the second GPU's draw; the first draws 120 W
    const w = raw.energy_metrics.gpu_energy_j / raw.energy_metrics.duration_sec
    expect(w).toBeGreaterThan(178)
    expect(w).toBeLessThan(182)
  })

  it('llem env lists every AMD GPU, its ROCr id and shared counters', async () => {
    const dir = makeProject({})
    const script = writeFakeAmdSmiConfig('socket 0 shared_counter=1\ngpu name="AMD Instinct MI250X" socket=0 serial=0xa1 device_id=0x740c\ngpu name="AMD Instinct MI250X" socket=0 serial=0xa2 device_id=0x740c\n')
    const r = await runCli(dir, ['env', '--json'], { LD_LIBRARY_PATH: lib, FAKE_AMDSMI_CONFIG: script })
    const env = JSON.parse(r.stdout)
    expect(env.probes.amdsmi.available).toBe(true)
    expect(env.probes.amdsmi.devices).toEqual([
      expect.objectContaining({ index: 0, rocr_uuid: 'GPU-00000000000000a1', name: 'AMD Instinct MI250X', energy_counter: 'works', counter_shared_with: [1] }),
      expect.objectContaining({ index: 1, rocr_uuid: 'GPU-00000000000000a2', counter_shared_with: [0] }),
    ])
    const none = await runCli(dir, ['env', '--json'], { LD_LIBRARY_PATH: lib })
    expect(JSON.parse(none.stdout).probes.amdsmi).toEqual({ available: false, reason: 'AMD SMI is installed but the amdgpu kernel driver is not loaded' })
  })
})
