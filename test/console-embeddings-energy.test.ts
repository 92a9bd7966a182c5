/**
 * The console for an embeddings experiment, which generates no token: its serving summary and its end
 * line give J per embedded (input) token and per request from `embedding_metrics`, not "energy per
 * token not measured". The result is built by hand: 40 requests of 128 input tokens each (5,120
 * tokens) over a 10 s window, 2.56 J measured, so 0.5 mJ per embedded token (± 0.04 mJ), 64 mJ per
 * request and 512 embedded tokens/s; every expected string is those numbers written out by hand.
 */
import { describe, expect, it } from 'vitest'
import createConsole from '../plugins/reporters/console.js'
import { aggregatedResultSchema, type AggregatedResult } from '../core/results/schema.js'
import { completedResult } from './fixtures/results.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'

const embeddings: AggregatedResult = {
  ...completedResult,
  experiment_id: 'embed',
  experiment_name: 'embed > minilm',
  bench: { ...completedResult.bench, name: 'minilm', full_name: 'embed > minilm' },
  num_requests: 40,
  num_failed_requests: 0,
  failed_request_share: 0,
  total_inference_time_sec: 10,
  requests_per_second: 4,
  output_tokens_per_second: null,
  avg_energy_per_token_j: null,
  avg_energy_per_token_uncertainty_j: null,
  energy_method: 'counter',
  energy_confidence: 'high',
  measurement_methodology: {
    energy_method: 'counter', energy_confidence: 'high', energy_probes: ['nvml'], unavailable_probes: {}, windows: ['total'],
    headline_window: 'total', headline_reason: 'whole window', headline_energy_per_token_j: null,
    latency_mode: 'TRUE_STREAMING', sample_interval_ms: 100, timeline_samples: 100, warmup: 'fixed', baseline: 'fresh', notes: [],
  },
  embedding_metrics: {
    requests: 40,
    input_tokens: 5120,
    energy_per_input_token_j: 2.56 / 5120,
    energy_per_input_token_uncertainty_j: 0.00004,
    energy_per_request_j: 2.56 / 40,
    requests_per_second: 4,
    input_tokens_per_second: 512,
    not_applicable: [{ metric: 'avg_energy_per_token_j', reason: 'no output tokens' }],
  },
}

async function render(r: AggregatedResult): Promise<string[]> {
  const out = captureStream()
  const reporter = createConsole(makeContext({ stdout: out.stream }))
  await reporter.onExperimentEnd?.({ id: r.experiment_id, name: r.experiment_name, bench: r.bench, task_hash: r.task_hash, repeat_index: 1, mode: 'run', effective_config: r.effective_config }, r)
  await reporter.onRunEnd?.({ runId: 'run-1', runDir: '/tmp/llem/runs/run-1', results: [r], skipped: [], durationMs: 1000, repeats: [], status: 'passed' })
  return stripAnsi(out.text()).split('\n')
}

const valueOf = (lines: string[], label: string) => lines.find((l) => l.startsWith(`  ${label}  `))?.slice(label.length + 2).trim()

describe('console: an embeddings experiment', () => {
  it('uses a result that matches the schema', () => {
    expect(aggregatedResultSchema.safeParse(embeddings).success).toBe(true)
  })

  it('the serving summary gives J per embedded token and per request, not "not measured"', async () => {
    const lines = await render(embeddings)
    const start = lines.findIndex((l) => l.startsWith('Serving summary: embed > minilm'))
    expect(start).toBeGreaterThanOrEqual(0)
    const b = lines.slice(start, lines.indexOf('', start))
    expect(b.join('\n')).not.toMatch(/not measured/)
    expect(valueOf(b, 'embedded tokens')).toBe('5120')
    expect(valueOf(b, 'embedded token throughput (tok/s)')).toBe('512')
    expect(valueOf(b, 'energy (mJ/embedded token)')).toBe('0.500 ± 0.0400')
    expect(valueOf(b, 'energy per request (mJ)')).toBe('64.0')
    expect(valueOf(b, 'energy window')).toBe('whole measured window, 10.0 s')
    expect(valueOf(b, 'energy method')).toBe('counter, high confidence')
  })

  it('the end line gives J per embedded token', async () => {
    const lines = await render(embeddings)
    const end = lines.find((l) => l.startsWith('✓ embed > minilm'))
    expect(end).toMatch(/ 0\.500 ± 0\.0400 mJ\/embedded token /)
  })

  it('without a measured energy it says so, naming the method', async () => {
    const none = { ...embeddings, energy_method: 'none' as const, embedding_metrics: { ...embeddings.embedding_metrics!, energy_per_input_token_j: null, energy_per_input_token_uncertainty_j: null, energy_per_request_j: null } }
    const lines = await render(none)
    expect(valueOf(lines, 'energy per embedded token')).toBe('not measured, energy method none')
  })
})
