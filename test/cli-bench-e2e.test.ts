/**
 * The main job end to end: `llem bench` in a fresh project runs real llama.cpp on a generated random
 * model, writes llem-results/<run-id>/ with files that validate against the result schemas, and
 * prints the table. Exit code 0 when everything passed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { aggregatedResultSchema, manifestSchema, rawProcessResultSchema } from '../core/results/schema.js'
import { IDLE_HOST_PROBES } from './fixtures/idle-host.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const BENCH = `import { describe, bench } from 'llem'
describe('tiny', { backend: 'llama-cpp', model: { random: 'llama-1m' } }, () => {
  bench('greedy', { dataset: { prompts: ['Hello there', 'Tell me a story'], repeat: 3 } })
  bench('sweep', { sweep: { 'load.concurrency': [1, 2] }, dataset: { synthetic: { inputTokens: 16, n: 4 } } })
})
`

describe('llem bench end to end', () => {
  // the host CPUs look idle (a fixed /proc/stat), so the baseline does not depend on the machine's load
  const dir = makeProject({ 'llem.config.ts': `import { defineConfig } from 'llem'\n${QUICK_CONFIG.replace('export default {', `export default defineConfig({\n  ${IDLE_HOST_PROBES}`).replace(/}\n$/, '})\n')}`, 'benchmarks/tiny.bench.ts': BENCH })

  it('runs every experiment, stores valid results and prints the table', async () => {
    const r = await runCli(dir, ['bench', '--reporter', 'console', '--reporter', 'json', '--reporter', 'csv', '--load.seed', '3'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^3 passed, 0 failed$/m)
    expect(r.stdout).toContain('tiny > greedy')
    expect(r.stdout).toContain('[load.concurrency=2]')

    const runs = readdirSync(path.join(dir, 'llem-results'))
    expect(runs).toHaveLength(1)
    const runDir = path.join(dir, 'llem-results', runs[0])
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join(runDir, 'manifest.json'), 'utf8')))
    expect(manifest.experiments).toHaveLength(3)
    const aggregated = readdirSync(path.join(runDir, 'aggregated'))
    expect(aggregated).toHaveLength(3)
    for (const file of aggregated) {
      const agg = aggregatedResultSchema.parse(JSON.parse(readFileSync(path.join(runDir, 'aggregated', file), 'utf8')))
      expect(agg.status).toBe('completed')
      const raw = rawProcessResultSchema.parse(JSON.parse(readFileSync(path.join(runDir, 'raw', agg.experiment_id, 'process_0.json'), 'utf8')))
      const inf = raw.inference_metrics!
      // real tokens: every measured request produced exactly maxTokens (ignoreEos), each timed as it streamed
      expect(inf.latency_measurements.measurement_mode).toBe('TRUE_STREAMING')
      expect(inf.output_tokens).toBe(inf.num_requests * 16)
      expect(inf.latency_measurements.itl_full_ms).toHaveLength(inf.num_requests * 15)
      expect(inf.latency_measurements.itl_trimmed_ms).toHaveLength(inf.num_requests * 13)
      expect(inf.output_tokens_per_second).toBeGreaterThan(50)
      expect(agg.latency_stats!.ttft_median_ms).toBeGreaterThan(0)
      // warmup requests never count
      expect(raw.warmup_result!.requests).toBe(1)
      expect(inf.latency_measurements.warmup_requests_excluded).toBe(1)
      // energy: no RAPL here, so the labelled estimate; the method says so
      expect(['estimate', 'counter']).toContain(raw.energy_metrics!.method)
      expect(raw.measurement_methodology!.energy_method).toBe(raw.energy_metrics!.method)
      expect(raw.energy_metrics!.energy_per_token_j).toBeGreaterThan(0)
      expect(raw.energy_breakdown!.baseline_method).toMatch(/fresh|cached/)
      // provenance: every key with its source; the CLI override is recorded as such
      expect(raw.parameter_provenance['load.seed']).toEqual({ value: 3, source: 'cli', source_detail: '--load.seed' })
      expect(raw.parameter_provenance['generation.maxTokens'].source).toBe('config')
      expect(raw.parameter_provenance['measurement.warmup.window'].source).toBe('default')
      expect(raw.cli_overrides).toEqual({ 'load.seed': 3 })
      expect(raw.model_load!.parameters).toBe(910464)
      expect(raw.compute_metrics!.flops_method).toBe('architecture')
      expect(existsSync(path.join(runDir, raw.timeseries_path!))).toBe(true)
    }
    const sweep2 = aggregated.map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8'))).find((a) => a.sweep_point['load.concurrency'] === 2)
    expect(sweep2.parameter_provenance['load.concurrency'].source).toBe('sweep')
    expect(sweep2.steady_state_window.target_concurrency).toBe(2)
    const json = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'))
    expect(json.results).toHaveLength(3)
    const csv = readFileSync(path.join(runDir, 'results.csv'), 'utf8').trim().split(/\r?\n/)
    expect(csv).toHaveLength(4)
    expect(csv[0]).toContain('effective_config.load.concurrency')
  })

  it('list shows the expanded experiments without running anything', async () => {
    const r = await runCli(dir, ['list'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('tiny > sweep [load.concurrency=1]')
    expect(r.stdout).toMatch(/1 files, 2 benches, 3 experiments/)
    const j = await runCli(dir, ['list', '--json', '--repeat', '2'])
    expect(JSON.parse(j.stdout).experiments).toHaveLength(6)
  })

  it('a filter that matches nothing exits 1 and lists the benches', async () => {
    const r = await runCli(dir, ['bench', 'nothing-like-this'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no benches found matching filters "nothing-like-this"')
    expect(r.stderr).toContain('benchmarks/tiny.bench.ts > tiny > greedy')
    const t = await runCli(dir, ['-t', 'zzz'])
    expect(t.code).toBe(1)
  })

  it('--dry-run plans and runs nothing', async () => {
    const before = readdirSync(path.join(dir, 'llem-results')).length
    const r = await runCli(dir, ['bench', '--dry-run', '-t', 'greedy'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('tiny > greedy')
    expect(r.stdout).not.toContain('tiny > sweep')
    expect(readdirSync(path.join(dir, 'llem-results'))).toHaveLength(before)
  })
})
