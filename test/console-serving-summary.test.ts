/**
 * The serving summary after the console's table: of the one experiment, or of each with --verbose.
 * The results are built by hand with known counts, rates, latencies, SLO outcome and joules, and
 * every expected string is those numbers written out by hand (three significant digits), so a block
 * that read the wrong field, the wrong unit or the wrong window fails here.
 */
import { describe, expect, it } from 'vitest'
import createConsole from '../plugins/reporters/console.js'
import type { RunSummary } from '../core/reporters/types.js'
import { aggregatedResultSchema, type AggregatedResult } from '../core/results/schema.js'
import { completedResult, failedResult } from './fixtures/results.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'

/**
 * 20 requests, 3 failed, over a 10 s window: 17 successful; 64 output and 128 input tokens each;
 * 14 of the 20 met the SLO (TTFT ≤ 200 ms, E2E ≤ 5000 ms); the steady state (6.5 s) gave 4.2 mJ/token ± 0.3 mJ
 */
const serving: AggregatedResult = {
  ...completedResult,
  experiment_id: 'chat-c8',
  experiment_name: 'chat > qwen [load.concurrency=8]',
  bench: { ...completedResult.bench, name: 'qwen', full_name: 'chat > qwen' },
  num_requests: 20,
  num_failed_requests: 3,
  failed_request_share: 0.15,
  total_inference_time_sec: 10,
  requests_per_second: 17 / 10,
  output_tokens_per_second: (17 * 64) / 10,
  avg_tokens_per_second: (17 * (64 + 128)) / 10,
  avg_energy_per_token_j: 0.0042,
  avg_energy_per_token_uncertainty_j: 0.0003,
  energy_method: 'counter',
  energy_confidence: 'high',
  effective_config: { ...completedResult.effective_config, slo: { ttftMs: 200, tpotMs: null, e2eMs: 5000 } },
  latency_stats: {
    ...completedResult.latency_stats!,
    ttft_mean_ms: 120.4, ttft_median_ms: 110, ttft_p99_ms: 250.4,
    tpot_mean_ms: 20.3, tpot_median_ms: 19.8, tpot_p99_ms: 31.7,
    itl_mean_ms: 18.2, itl_median_ms: 17.9, itl_p99_ms: 40.1,
  },
  extended_metrics: {
    tpot_ms: 20.3, token_efficiency_index: null,
    memory: { peak_memory_mb: null, model_memory_mb: null, tokens_per_gb: null, rss_peak_mb: null, gpu_memory_peak_mb: null },
    gpu_utilisation: { sm_utilisation_mean: null, memory_bandwidth_utilisation: null },
    batch: { effective_batch_size: null, target_concurrency: 8, padding_overhead: null },
    kv_cache: { prefix_cache_hit_rate: null, kv_cache_usage_mean: null },
    request_latency: { e2e_ms: null, slo_attainment: 14 / 20, goodput_requests_per_second: 14 / 10 },
  },
  steady_state_window: { start_sec: 2, end_sec: 8.5, duration_sec: 6.5, energy_j: 0.0042 * 700, output_tokens: 700, energy_per_token_j: 0.0042, target_concurrency: 8 },
  measurement_methodology: {
    energy_method: 'counter', energy_confidence: 'high', energy_probes: ['nvml'], unavailable_probes: {}, windows: ['total', 'steady_state'],
    headline_window: 'steady_state', headline_reason: 'steady state long enough', headline_energy_per_token_j: 0.0042,
    latency_mode: 'TRUE_STREAMING', sample_interval_ms: 100, timeline_samples: 100, warmup: 'fixed', baseline: 'fresh', notes: [],
  },
}

/** the same experiment renamed, with other joules per token, its headline from the whole window */
function withEnergy(name: string, joules: number): AggregatedResult {
  return {
    ...serving,
    experiment_id: name,
    experiment_name: name,
    bench: { ...serving.bench, full_name: name },
    avg_energy_per_token_j: joules,
    avg_energy_per_token_uncertainty_j: null,
    measurement_methodology: { ...serving.measurement_methodology!, headline_window: 'total', headline_energy_per_token_j: joules },
  }
}

function summaryOf(results: AggregatedResult[], extra: Partial<RunSummary> = {}): RunSummary {
  return { runId: 'run-1', runDir: '/tmp/llem/runs/run-1', results, skipped: [], durationMs: 1000, repeats: [], status: 'passed', ...extra }
}

async function render(results: AggregatedResult[], verbose = false, extra: Partial<RunSummary> = {}): Promise<string[]> {
  const out = captureStream()
  const reporter = createConsole(makeContext({ stdout: out.stream, verbose }))
  for (const r of results) await reporter.onExperimentEnd?.({ id: r.experiment_id, name: r.experiment_name, bench: r.bench, task_hash: r.task_hash, repeat_index: 1, mode: 'run', effective_config: r.effective_config }, r)
  await reporter.onRunEnd?.(summaryOf(results, extra))
  return stripAnsi(out.text()).split('\n')
}

/** the block under "Serving summary: <name>", up to the blank line after it */
function block(lines: string[], name: string): string[] {
  const start = lines.findIndex((l) => l.startsWith(`Serving summary: ${name}`))
  if (start < 0) return []
  const end = lines.indexOf('', start)
  return lines.slice(start, end)
}

/** "  label   value": the value of a block line by its label */
function valueOf(b: string[], label: string): string | undefined {
  const line = b.find((l) => l.startsWith(`  ${label}  `))
  return line?.slice(label.length + 2).trim()
}

describe('serving summary', () => {
  it('uses a result that matches the schema', () => {
    expect(aggregatedResultSchema.safeParse(serving).success).toBe(true)
  })

  it('one experiment: counts, rates, latency, goodput and J/token with its window, after the table', async () => {
    const lines = await render([serving])
    const b = block(lines, 'chat > qwen [load.concurrency=8]')
    expect(b.length).toBeGreaterThan(0)
    // after the table (its header comes first), before the passed/failed line
    expect(lines.findIndex((l) => l.startsWith('bench '))).toBeLessThan(lines.indexOf(b[0]))
    expect(lines.indexOf(b[0])).toBeLessThan(lines.indexOf('1 passed, 0 failed'))
    expect(valueOf(b, 'successful requests')).toBe('17')
    expect(valueOf(b, 'failed requests')).toBe('3')
    expect(valueOf(b, 'measured window (s)')).toBe('10.0')
    expect(valueOf(b, 'request throughput (req/s)')).toBe('1.70')
    // 17 x 64 / 10 and 17 x 192 / 10
    expect(valueOf(b, 'output token throughput (tok/s)')).toBe('109')
    expect(valueOf(b, 'total token throughput (tok/s)')).toBe('326')
    expect(b).toContainEqual(expect.stringMatching(/^ {2}latency \(ms\)\s+mean\s+median\s+p99$/))
    const row = (name: string) => b.find((l) => l.startsWith(`    ${name} `))?.trim().split(/\s+/)
    expect(row('TTFT')).toEqual(['TTFT', '120', '110', '250'])
    expect(row('TPOT')).toEqual(['TPOT', '20.3', '19.8', '31.7'])
    expect(row('ITL')).toEqual(['ITL', '18.2', '17.9', '40.1'])
    expect(valueOf(b, 'SLO targets')).toBe('TTFT ≤ 200 ms, E2E ≤ 5000 ms')
    expect(valueOf(b, 'goodput (req/s)')).toBe('1.40')
    expect(valueOf(b, 'goodput share (%)')).toBe('70.0')
    expect(valueOf(b, 'energy (mJ/token)')).toBe('4.20 ± 0.300')
    expect(valueOf(b, 'energy window')).toBe('steady state, 6.50 s')
    expect(valueOf(b, 'energy method')).toBe('counter, high confidence')
    // every value starts in one column
    const starts = new Set(b.slice(1).filter((l) => !l.startsWith('    ')).map((l) => l.length - l.match(/^ {2}.+? {2,}(\S.*)$/)![1].length))
    expect(starts.size).toBe(1)
  })

  it('says "no SLO set" rather than a goodput when no target is set', async () => {
    const noSlo = { ...serving, effective_config: { ...serving.effective_config, slo: { ttftMs: null, tpotMs: null, e2eMs: null } }, extended_metrics: { ...serving.extended_metrics!, request_latency: { e2e_ms: null, slo_attainment: null, goodput_requests_per_second: null } } }
    const b = block(await render([noSlo]), 'chat > qwen')
    expect(valueOf(b, 'goodput')).toBe('no SLO set')
    expect(b.join('\n')).not.toMatch(/goodput \(req\/s\)|SLO targets/)
  })

  it('several experiments: a block for each only with --verbose', async () => {
    const two = [withEnergy('a', 0.004), withEnergy('b', 0.006)]
    expect((await render(two)).some((l) => l.startsWith('Serving summary'))).toBe(false)
    const lines = await render(two, true)
    expect(block(lines, 'a').length).toBeGreaterThan(0)
    expect(block(lines, 'b').length).toBeGreaterThan(0)
    expect(valueOf(block(lines, 'b'), 'energy window')).toBe('whole measured window, 10.0 s')
  })

  it('a failed experiment that measured requests shows its counts; one that measured none has no block', async () => {
    const tooMany: AggregatedResult = {
      ...serving,
      status: 'failed',
      error: { code: 'TOO_MANY_FAILED_REQUESTS', message: '8 of 10 measured requests failed (80%)', phase: 'measure' },
      num_requests: 10,
      num_failed_requests: 8,
    }
    const b = block(await render([tooMany]), 'chat > qwen')
    expect(b[0]).toBe('Serving summary: chat > qwen [load.concurrency=8], failed')
    expect(valueOf(b, 'successful requests')).toBe('2')
    expect(valueOf(b, 'failed requests')).toBe('8')
    expect(b.join('\n')).not.toMatch(/throughput|goodput|J\/token/)
    expect((await render([failedResult])).some((l) => l.startsWith('Serving summary'))).toBe(false)
  })

  it('no line has parentheses inside parentheses', async () => {
    const lines = await render([serving, withEnergy('b', 1.5)], true)
    for (const l of lines) expect(l).not.toMatch(/\([^)]*\(/)
  })
})

describe('one energy unit per column', () => {
  it('0.002 J and 1.5 J: J/token for both rows of the table and both blocks', async () => {
    const lines = await render([withEnergy('small', 0.002), withEnergy('large', 1.5)], true)
    const header = lines.find((l) => l.startsWith('bench '))!
    expect(header).toMatch(/\sJ\/token\s/)
    expect(header).not.toContain('mJ')
    const cells = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(/\s{2,}/)
    expect(cells('small')[5]).toBe('0.00200')
    expect(cells('large')[5]).toBe('1.50')
    expect(valueOf(block(lines, 'small'), 'energy (J/token)')).toBe('0.00200')
    expect(valueOf(block(lines, 'large'), 'energy (J/token)')).toBe('1.50')
  })

  it('0.002 J and 0.5 J: mJ/token for both', async () => {
    const lines = await render([withEnergy('small', 0.002), withEnergy('half', 0.5)], true)
    expect(lines.find((l) => l.startsWith('bench '))).toMatch(/\smJ\/token\s/)
    expect(lines.find((l) => l.startsWith('small '))!.split(/\s{2,}/)[5]).toBe('2.00')
    expect(lines.find((l) => l.startsWith('half '))!.split(/\s{2,}/)[5]).toBe('500')
    expect(valueOf(block(lines, 'half'), 'energy (mJ/token)')).toBe('500')
  })

  it('the end lines keep the unit of the first one: 4 mJ then 1.5 J both in mJ', async () => {
    const lines = await render([withEnergy('first', 0.004), withEnergy('second', 1.5)])
    // each line ends with the experiment's recorded span (the fixture's 10 s from start_time to end_time)
    expect(lines.find((l) => l.startsWith('✓ first '))).toMatch(/ {2}4\.00 mJ\/token {2}counter \(high\) {2}10\.0s$/)
    expect(lines.find((l) => l.startsWith('✓ second '))).toMatch(/ {2}1500 mJ\/token {2}counter \(high\) {2}10\.0s$/)
  })

  it('the repeats table picks its unit from its figures: 0.8 to 1.2 J is J/token', async () => {
    const metric = (mean: number, lo: number, hi: number) => ({ mean, ci_lower: lo, ci_upper: hi, values: [lo, hi], ci_method: 'student_t' as const })
    const repeats: RunSummary['repeats'] = [
      { task_hash: 'h', name: 'chat > qwen', repeats: 2, completed: 2, energy_per_token_window: 'total', method: 'counter', metrics: { energy_per_token_j: metric(1, 0.8, 1.2), output_tokens_per_second: null, ttft_median_ms: null, itl_median_ms: null } },
    ]
    const lines = await render([withEnergy('a', 1), withEnergy('b', 1)], false, { repeats })
    const header = lines.find((l) => l.startsWith('repeats of'))!
    expect(header).toMatch(/ J\/token$/)
    expect(lines.find((l) => l.startsWith('chat > qwen '))).toMatch(/1\.00 \[0\.800, 1\.20\]$/)
  })
})
