/**
 * measurement.minWindowSec: a run whose requests finish sooner than the window it asks for keeps
 * sending, cycling the dataset, until the window has lasted that long. The scripted backend takes a
 * known time per request (tokens x gap), so how many requests a window of a given length needs is
 * physical truth; an e2e run on the fake NVML driver shows the point of it: a counter that updates
 * every 200 ms reaches 10 updates in the window, so the GPU figure can be `high` confidence again.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runLoad, type LoadPlan } from '../core/measure/load-runner.js'
import { buildFakeNvml, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { makeProject, runCli } from './fixtures/project.js'
import { scriptedSession } from './fixtures/scripted-session.js'
import { maxOf } from '../core/stats/extent.js'

const prompts = [
  { id: 0, text: 'a b c', source: 'prompts[0]' },
  { id: 1, text: 'd e', source: 'prompts[1]' },
]
const plan = (p: Partial<LoadPlan>): LoadPlan => ({ concurrency: 1, rate: null, burstiness: 1, requests: 2, durationMs: null, seed: 0, maxTokens: 4, ...p })

describe('measurement.minWindowSec in the load runner', () => {
  it('closed loop: 2 requests of ~20 ms each are extended to fill 300 ms, cycling the prompts', async () => {
    const { session } = scriptedSession({ gapMs: 5 })
    const out = await runLoad(session, prompts, plan({ minWindowMs: 300 }))
    const last = maxOf(out.requests.map((r) => r.end))
    expect(last - out.windowStart).toBeGreaterThanOrEqual(300)
    // each request takes at least 4 x 5 ms: 300 ms cannot hold more than 15 of them back to back
    expect(out.requests.length).toBeGreaterThan(2)
    expect(out.requests.length).toBeLessThanOrEqual(16)
    expect(out.requests.map((r) => r.promptId).slice(0, 4)).toEqual([0, 1, 0, 1])
  })

  it('open loop: further rounds of arrivals at the same rate until the window is long enough', async () => {
    const { session } = scriptedSession({ gapMs: 1 })
    const out = await runLoad(session, prompts, plan({ rate: 50, concurrency: 4, requests: 3, maxTokens: 1, minWindowMs: 400 }))
    const starts = out.requests.map((r) => r.start - out.windowStart).sort((a, b) => a - b)
    // the load lasts the window asked for (an arrival due after it is not sent), and requests keep
    // arriving well past the ~60 ms the 3 asked for would take
    expect(out.windowEnd - out.windowStart).toBeGreaterThanOrEqual(400)
    expect(starts[starts.length - 1]).toBeGreaterThan(200)
    // 50 requests/s over ~0.4 s: about 20 arrivals, never a burst of everything at once
    expect(out.requests.length).toBeGreaterThan(8)
    expect(out.requests.length).toBeLessThan(40)
  })

  it('off by default, and load.duration still ends the load', async () => {
    const { session } = scriptedSession({ gapMs: 2 })
    expect((await runLoad(session, prompts, plan({}))).requests).toHaveLength(2)
    const capped = await runLoad(session, prompts, plan({ minWindowMs: 5000, durationMs: 150 }))
    expect(capped.windowEnd - capped.windowStart).toBeLessThan(1000)
  })
})

describe('measurement.minWindowSec end to end', () => {
  let lib: string
  beforeAll(() => {
    lib = buildFakeNvml('current')
  })

  it('a 200 ms counter over a window held to 2.5 s: at least 10 updates, high confidence, and the extension is stated', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default {
  probes: { rapl: false, 'cpu-estimate': false },
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, minWindowSec: 2.5 },
  generation: { maxTokens: 8 },
}
`,
      'benchmarks/g.bench.ts': `import { bench } from 'llem'\nbench('short', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 2 } })\n`,
    })
    const r = await runCli(dir, ['bench'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: writeFakeNvmlConfig('device uuid=GPU-minwin name="Slow Counter GPU" arch=8 period_ms=200 idle_w=40\npower 0 0 inf 300\n'), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' })
    expect(r.code, r.stderr).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
    const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
    const raw = agg.process_results[0]
    expect(raw.energy_metrics.duration_sec).toBeGreaterThanOrEqual(2.5)
    expect(raw.requests.length).toBeGreaterThan(2)
    expect(raw.energy_metrics.component_methods.gpu.confidence).toBe('high')
    expect(Math.abs(raw.energy_metrics.gpu_energy_j - 300 * raw.energy_metrics.duration_sec)).toBeLessThanOrEqual(raw.energy_metrics.gpu_energy_uncertainty_j)
    expect(raw.measurement_warnings.join('\n')).toMatch(/extended by \d+ requests .*minWindowSec = 2\.5 s/)
  })
})
