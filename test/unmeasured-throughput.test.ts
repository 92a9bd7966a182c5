/**
 * Nothing measured has no rate: the throughput of a window with no duration, of an experiment with no
 * completed process, and of a data-parallel experiment a process of which failed is null, never 0 and
 * never the survivors' figure passed off as the experiment's; the console prints none for them.
 */
import { describe, expect, it } from 'vitest'
import { buildMetrics } from '../core/measure/build-metrics.js'
import { aggregate } from '../core/results/aggregate.js'
import type { AggregatedResult } from '../core/results/schema.js'
import createConsole from '../plugins/reporters/console.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'
import { rawProcess } from './fixtures/raw-process.js'

describe('throughput when nothing was measured', () => {
  it('a window that lasted no time has no token or request rate', () => {
    const snapshot = { t: 5000, domains: {} }
    const m = buildMetrics({
      outcome: { requests: [], windowStart: 5000, windowEnd: 5000 },
      energyStart: snapshot, energyEnd: snapshot, timeline: [], rows: [], sessions: [], devices: [],
      baseline: { method: 'disabled', power_w: null, per_domain_w: {}, cache_age_sec: null, duration_sec: null, samples: null, note: 'off' },
      carbon: { g_per_kwh: 400, source: 'test' }, concurrency: 1,
      headline: { mode: 'auto', minSeconds: 5 }, steadyMinTargetShare: 0.5, agreementPct: 5,
      latencyMode: 'TRUE_STREAMING', warmupRequests: 0, peakRssMb: 100, modelMemoryMb: null,
      model: { name: 'm', path: null, file_size_mb: null, parameters: null, architecture: null, shape: null, precision: null },
    })
    expect(m.inference.tokens_per_second).toBeNull()
    expect(m.inference.output_tokens_per_second).toBeNull()
    expect(m.inference.requests_per_second).toBeNull()
  })

  it('an experiment whose only process failed reports null throughput, not 0', () => {
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], status: 'failed' })])
    expect(agg.output_tokens_per_second).toBeNull()
    expect(agg.avg_tokens_per_second).toBeNull()
    expect(agg.total_output_tokens).toBeNull()
  })

  it('a data-parallel experiment with a failed process carries no totals from its survivor', () => {
    // process 0 generated 500 tokens on 120 J in 10 s; process 1 died: the experiment is not process 0
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], outputTokens: 500, cpuJ: 120 }), rawProcess({ index: 1, window: [0, 10], status: 'failed' })])
    expect(agg.status).toBe('failed')
    expect(agg.output_tokens_per_second).toBeNull()
    expect(agg.avg_tokens_per_second).toBeNull()
    expect(agg.total_energy_j).toBeNull()
    expect(agg.avg_energy_per_token_j).toBeNull()
    expect(agg.energy_per_request_j).toBeNull()
    expect(agg.total_output_tokens).toBeNull()
    expect(agg.total_tokens).toBeNull()
    expect(agg.latency_stats).toBeNull()
    expect(agg.extended_metrics).toBeNull()
    expect(agg.aggregation.warnings.join('\n')).toContain('1 of 2 processes did not complete')
    // the survivor's own figures stay with it
    expect(agg.process_results[0].inference_metrics!.output_tokens).toBe(500)
  })

  it('the console prints no throughput for a failed experiment, even one stored with a figure', async () => {
    const failed = aggregate([rawProcess({ index: 0, window: [0, 10], outputTokens: 500 }), rawProcess({ index: 1, window: [0, 10], status: 'failed' })])
    // as an older llem stored it: the survivor's 50 tok/s on a failed experiment
    const stored: AggregatedResult = { ...failed, experiment_id: 'dp-old', bench: { ...failed.bench, full_name: 'dp-old' }, output_tokens_per_second: 50 }
    const out = captureStream()
    const reporter = createConsole(makeContext({ stdout: out.stream }))
    await reporter.onRunEnd?.({ runId: 'r', runDir: '/tmp/r', results: [failed, stored], skipped: [], durationMs: 1000, repeats: [], status: 'failed' })
    const rows = stripAnsi(out.text()).split('\n').filter((l) => l.startsWith('dp'))
    expect(rows).toHaveLength(2)
    // the third column is output tok/s
    for (const row of rows) expect(row.split(/\s{2,}/)[2]).toBe('—')
  })
})
