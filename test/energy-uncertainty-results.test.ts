/**
 * The energy error bars in real results: `llem bench` on the fake NVML driver with a constant power
 * trace, so the truth over the measured window is the trace's watts x the window's length. The stated
 * 95% uncertainty must cover it, must be at least what the vendor's ±5 W accuracy alone allows over
 * that window, must grow when the counter updates only a few times in the window (each edge read can
 * be one update period stale), and must be shown as ± where users read J/token.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildFakeNvml, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { makeProject, runCli } from './fixtures/project.js'

let lib: string
beforeAll(() => {
  lib = buildFakeNvml('current')
})

// GPU only (no CPU probes), so every joule in the total comes from the scripted trace
const CONFIG = (baseline: string) => `export default {
  probes: { rapl: false, 'cpu-estimate': false },
  measurement: { baseline: ${baseline}, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
}
`
const BENCH = (seconds: number) =>
  `import { bench } from 'llem'\nbench('gpu', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 1000000, duration: ${seconds} } })\n`

async function run(script: string, seconds: number, baseline = '{ enabled: false }') {
  const dir = makeProject({ 'llem.config.ts': CONFIG(baseline), 'benchmarks/g.bench.ts': BENCH(seconds) })
  const r = await runCli(dir, ['bench'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: writeFakeNvmlConfig(script), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' })
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
  const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
  return { r, agg, raw: agg.process_results[0] }
}

// the vendor's bound (nvidia-smi --help-query-gpu, power.draw: "accurate to within +/- 5 watts")
const VENDOR_W = 5

describe('energy uncertainty in results', () => {
  it('a window of many counter updates: the 95% interval covers the true joules and is about the vendor bound', async () => {
    const watts = 300
    const { r, agg, raw } = await run(`device uuid=GPU-unc-1 name="NVIDIA H100 80GB HBM3" arch=9 period_ms=20 idle_w=70\npower 0 0 inf ${watts}\n`, 1.5)
    expect(r.code, r.stderr).toBe(0)
    const e = raw.energy_metrics
    const truth = watts * e.duration_sec
    expect(e.gpu_energy_uncertainty_j).toBeGreaterThan(0)
    expect(Math.abs(e.gpu_energy_j - truth)).toBeLessThanOrEqual(e.gpu_energy_uncertainty_j)
    // the accuracy bound alone is ±5 W over the window; counter edges (20 ms each at 300 W) add at most 12 J
    expect(e.gpu_energy_uncertainty_j).toBeGreaterThanOrEqual(VENDOR_W * e.duration_sec * 0.99)
    expect(e.gpu_energy_uncertainty_j).toBeLessThan(VENDOR_W * e.duration_sec + 2 * watts * 0.02 + 0.01)
    expect(e.total_energy_uncertainty_j).toBeCloseTo(e.gpu_energy_uncertainty_j, 9)
    expect(e.component_methods.gpu.confidence).toBe('high')
    // tokens are counted exactly: per token and per request are the same joules shared out
    expect(e.energy_per_token_uncertainty_j * agg.total_output_tokens).toBeCloseTo(e.total_energy_uncertainty_j, 6)
    expect(Object.keys(e.uncertainty.terms_j)).toEqual(expect.arrayContaining(['accuracy', 'edge']))
    // the aggregated result carries the headline's, and the console shows it
    expect(agg.avg_energy_per_token_uncertainty_j).toBeGreaterThan(0)
    expect(agg.total_energy_uncertainty_j).toBeCloseTo(e.total_energy_uncertainty_j, 9)
    expect(raw.measurement_methodology.headline_energy_per_token_uncertainty_j).toBeCloseTo(agg.avg_energy_per_token_uncertainty_j, 12)
    expect(r.stdout).toMatch(/J\/token[^\n]*\n[^\n]*\n[^\n]*\d ± \d/)
  })

  it('a window of fewer than 10 counter updates: edges read in step with the counter, the truth covered, and never high confidence', async () => {
    const watts = 400
    const period = 0.2
    const { r, raw } = await run(`device uuid=GPU-unc-2 name="Slow Counter GPU" arch=8 period_ms=200 idle_w=40\npower 0 0 inf ${watts}\n`, 0.5)
    expect(r.code, r.stderr).toBe(0)
    const e = raw.energy_metrics
    const error = Math.abs(e.gpu_energy_j - watts * e.duration_sec)
    expect(error).toBeLessThanOrEqual(e.gpu_energy_uncertainty_j)
    // a plain read at each edge would be off by 400 W x the difference of two lags, each anywhere in
    // 0-200 ms (up to 80 J); polled until the counter moves, the edges are exact to a poll: a few ms
    expect(error).toBeLessThan(watts * 0.01)
    expect(e.gpu_energy_uncertainty_j).toBeLessThan(0.25 * watts * period)
    expect(e.component_methods.gpu.confidence).not.toBe('high')
    expect(['low', 'medium']).toContain(e.confidence)
  })

  it('baseline-adjusted energy: block powers of the idle baseline recorded, and a wider interval than the raw one', async () => {
    // a GPU idling at 60 W through the baseline and the window (no CPU probes: the baseline is the GPU's alone)
    const script = `device uuid=GPU-unc-3 name="Baseline GPU" arch=9 period_ms=5 idle_w=60\n`
    const { r, raw } = await run(script, 1.0, `{ seconds: 1, ttlSeconds: 0 }`)
    expect(r.code, r.stderr).toBe(0)
    const b = raw.energy_breakdown
    expect(b.baseline_method).toBe('fresh')
    const blocks = b.baseline_block_powers_per_domain_w['nvml:GPU-unc-3']
    expect(blocks.length).toBeGreaterThanOrEqual(2)
    // each block is 0.5 s of a 60 W GPU read by a 5 ms counter: within one update (0.3 J / 0.5 s) of 60 W
    for (const w of blocks) expect(Math.abs(w - 60)).toBeLessThan(0.61 + 0.5)
    // the GPU idles at 60 W through the window too: the adjusted energy's truth is 0 J
    expect(Math.abs(b.adjusted_j)).toBeLessThanOrEqual(b.adjusted_uncertainty_j)
    expect(b.adjusted_uncertainty_j).toBeGreaterThan(raw.energy_metrics.total_energy_uncertainty_j)
  })
})
