/**
 * `devices: []` leaves llem no GPU slot, so every data-parallel process sees (and measures) every GPU
 * (the fake NVML's two, drawing a constant 100 W and 200 W). Each GPU must count once, over the time
 * some process was measuring it: 300 W x the union of the measured windows, not once per process.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { twoFakeGpusEnv } from './fixtures/two-fake-gpus.js'

let gpuEnv: Record<string, string>
beforeAll(() => {
  gpuEnv = twoFakeGpusEnv()
})

// GPU energy only, so the total is the two GPUs' joules
const CONFIG = `export default {
  devices: [],
  probes: ['nvml'],
  measurement: { baseline: { seconds: 0.2, ttlSeconds: 0 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
}
`
// duration-based: each window lasts ~1.5 s whatever the machine's speed
const BENCH = `import { bench } from 'llem'
bench('dp', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 1000000, duration: 1.5 }, parallel: { data: 2 } })
`

describe('data parallel with devices: [] (every process measures every GPU)', () => {
  it('each GPU counts once: 300 W over the union of the windows', async () => {
    const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/d.bench.ts': BENCH })
    const r = await runCli(dir, ['bench'], gpuEnv)
    expect(r.code, r.stderr).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
    const [x] = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
    type Raw = { devices: { uuid: string }[]; measured_window: { start_unix_ms: number; end_unix_ms: number } }
    const raws: Raw[] = x.process_results
    // both processes measured both GPUs
    for (const p of raws) expect(p.devices.map((d) => d.uuid).sort()).toEqual(['GPU-one', 'GPU-two'])
    expect(x.aggregation.gpu_attribution_verified).toBe(false)
    const [a, b] = raws.map((p) => p.measured_window)
    const overlapMs = Math.max(0, Math.min(a.end_unix_ms, b.end_unix_ms) - Math.max(a.start_unix_ms, b.start_unix_ms))
    const unionSec = (a.end_unix_ms - a.start_unix_ms + (b.end_unix_ms - b.start_unix_ms) - overlapMs) / 1000
    // within 2%: the 5 ms counters' edges and the wall-clock reading of the window edges
    expect(x.total_energy_j / (300 * unionSec)).toBeGreaterThan(0.98)
    expect(x.total_energy_j / (300 * unionSec)).toBeLessThan(1.02)
  })
})
