/**
 * Failed requests must not pass unnoticed: results count them and their share, the console shows them,
 * `llem compare` can gate on them, and past measurement.maxFailedRequests (a count or a percent,
 * default 0) the experiment fails with TOO_MANY_FAILED_REQUESTS, its metrics kept for inspection.
 * test/failed-requests-e2e.test.ts runs the same through the CLI against a server that fails requests.
 */
import { describe, expect, it } from 'vitest'
import { compareResults } from '../core/compare/compare.js'
import { parseThresholds } from '../core/compare/thresholds.js'
import { coerceValue } from '../core/config/overrides.js'
import { experimentOptionsSchema } from '../core/config/schema.js'
import { failedRequestsOverLimit } from '../core/measure/failed-requests.js'
import { aggregate } from '../core/results/aggregate.js'
import { aggregatedResultSchema, type RawProcessResult } from '../core/results/schema.js'
import createConsole from '../plugins/reporters/console.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'
import { rawProcess } from './fixtures/raw-process.js'

/** a process that measured `total` requests, `failed` of them failed, with `status` and its error */
function withFailures(total: number, failed: number, status: 'completed' | 'failed' = 'completed'): RawProcessResult {
  const raw = rawProcess({ index: 0, window: [0, 10], outputTokens: 40, cpuJ: 20, requests: Array.from({ length: total }, (_, i) => ({ ok: i >= failed })) })
  raw.inference_metrics = { ...raw.inference_metrics!, num_requests: total, num_failed_requests: failed, failed_request_share: failed / total }
  if (status === 'failed') {
    raw.status = 'failed'
    raw.error = { code: 'TOO_MANY_FAILED_REQUESTS', message: `${failed} of ${total} measured requests failed`, phase: 'measure' }
  }
  return raw
}

describe('the limit', () => {
  it('a count: more failures than it fail the experiment; the default 0 allows none', () => {
    expect(failedRequestsOverLimit(8, 10, 0)).toMatch(/^8 of 10 measured requests failed \(80%\)/)
    expect(failedRequestsOverLimit(0, 10, 0)).toBeNull()
    expect(failedRequestsOverLimit(2, 10, 2)).toBeNull()
    expect(failedRequestsOverLimit(3, 10, 2)).toMatch(/^3 of 10 measured requests failed \(30%\)/)
  })

  it('a percent of the measured requests: only a larger share fails', () => {
    expect(failedRequestsOverLimit(1, 20, '5%')).toBeNull()
    expect(failedRequestsOverLimit(1, 10, '5%')).toMatch(/\(10%\), more than measurement.maxFailedRequests = 5%/)
    expect(failedRequestsOverLimit(8, 10, '80%')).toBeNull()
  })

  it('is configured as a count or a percent string, from files, flags and env vars', () => {
    const ok = (v: unknown) => experimentOptionsSchema.safeParse({ measurement: { maxFailedRequests: v } }).success
    expect([3, 0, '5%', '2.5%'].map(ok)).toEqual([true, true, true, true])
    expect([-1, 1.5, '5', 'five%', '%'].map(ok)).toEqual([false, false, false, false, false])
    expect(coerceValue('measurement.maxFailedRequests', '3')).toBe(3)
    expect(coerceValue('measurement.maxFailedRequests', '5%')).toBe('5%')
  })
})

describe('results', () => {
  it('an experiment failed for its failed requests keeps its metrics, with the count and the share', () => {
    const agg = aggregate([withFailures(10, 8, 'failed')])
    expect(agg.status).toBe('failed')
    expect(agg.error!.code).toBe('TOO_MANY_FAILED_REQUESTS')
    expect(agg.num_requests).toBe(10)
    expect(agg.num_failed_requests).toBe(8)
    expect(agg.failed_request_share).toBeCloseTo(0.8, 12)
    // kept for inspection: what the survivors measured
    expect(agg.total_output_tokens).toBe(40)
    expect(agg.total_energy_j).toBe(20)
    expect(agg.latency_stats).not.toBeNull()
    expect(aggregatedResultSchema.safeParse(agg).success).toBe(true)
  })

  it('any other failure keeps no metrics', () => {
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], status: 'failed' })])
    expect(agg.num_requests).toBe(0)
    expect(agg.failed_request_share).toBeNull()
  })
})

describe('the console table', () => {
  it('has a failed column: failed of measured requests', async () => {
    const out = captureStream()
    const results = [aggregate([withFailures(10, 0)]), aggregate([withFailures(10, 8, 'failed')])]
    await createConsole(makeContext({ stdout: out.stream })).onRunEnd?.({ runId: 'r', runDir: '/tmp/r', results, skipped: [], durationMs: 1000, repeats: [], status: 'failed' })
    const lines = stripAnsi(out.text()).split('\n')
    const header = lines.find((l) => l.startsWith('bench'))!
    expect(header).toMatch(/\s+failed\s+status$/)
    const rows = lines.filter((l) => l.startsWith('dp '))
    expect(rows.map((l) => l.split(/\s{2,}/).slice(-2))).toEqual([['0/10', 'completed'], ['8/10', 'failed']])
    expect(lines).toContain('1 passed, 1 failed')
  })
})

describe('llem compare', () => {
  it('gates on the share of failed requests', () => {
    const base = aggregate([withFailures(10, 0)])
    const cur = aggregate([withFailures(10, 2)])
    const c = compareResults([base], [cur], parseThresholds('failed_requests_pct=5'))
    const d = c.experiments[0].metrics.find((m) => m.metric === 'failed_requests_pct')!
    expect(d.baseline!.value).toBe(0)
    expect(d.current!.value).toBe(20)
    expect(d.regressed).toBe(true)
    expect(c.status).toBe('regressed')
  })
})
