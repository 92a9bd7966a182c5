import { afterEach, describe, expect, it, vi } from 'vitest'
import createConsole from '../plugins/reporters/console.js'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import { aggregatedResultSchema, type AggregatedResult } from '../core/results/schema.js'
import { completedResult, failedResult } from './fixtures/results.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'

function infoFor(r: AggregatedResult): ExperimentInfo {
  return { id: r.experiment_id, name: r.experiment_name, bench: r.bench, task_hash: r.task_hash, repeat_index: r.repeat_index, mode: 'run', effective_config: r.effective_config }
}

function summaryOf(results: AggregatedResult[], extra: Partial<RunSummary> = {}): RunSummary {
  return { runId: 'run-1', runDir: '/tmp/llem/runs/run-1', results, skipped: [], durationMs: 12_345, repeats: [], status: results.every((r) => r.status === 'completed') ? 'passed' : 'failed', ...extra }
}

/** start, a burst of progress, end for each result, then run end */
async function runThrough(reporter: ReturnType<typeof createConsole>, results: AggregatedResult[], summary = summaryOf(results)) {
  for (const r of results) {
    const info = infoFor(r)
    await reporter.onExperimentStart?.(info)
    await reporter.onExperimentProgress?.(info, { phase: 'model_load', done: 0, total: null, elapsedMs: 5 })
    for (let i = 1; i <= 16; i++) await reporter.onExperimentProgress?.(info, { phase: 'measure', done: i, total: 16, elapsedMs: 10 + i })
    await reporter.onExperimentEnd?.(info, r)
  }
  await reporter.onRunEnd?.(summary)
}

afterEach(() => {
  vi.unstubAllEnvs()
  vi.useRealTimers()
})

describe('console reporter, not a TTY', () => {
  it('uses fixtures that match the result schema', () => {
    expect(aggregatedResultSchema.safeParse(completedResult).success).toBe(true)
    expect(aggregatedResultSchema.safeParse(failedResult).success).toBe(true)
  })

  it('prints a line per start, phase change and end, then a table and the summary line', async () => {
    const out = captureStream()
    await runThrough(createConsole(makeContext({ stdout: out.stream })), [completedResult, failedResult])
    const text = stripAnsi(out.text())
    expect(text).not.toContain('\r')
    const lines = text.split('\n')
    expect(lines).toContain('→ tiny > decode [load.concurrency=2]')
    // one line per phase, not one per progress event
    expect(lines.filter((l) => l.includes('tiny > decode [load.concurrency=2]: measure'))).toHaveLength(1)
    expect(lines.filter((l) => l.includes('model load'))).toHaveLength(2)
    expect(text).toMatch(/^✓ tiny > decode \[load\.concurrency=2\] {2}51\.2 tok\/s {2}5\.00 mJ\/token {2}estimate \(low\)/m)
    expect(text).toMatch(/^✗ tiny > prefill {2}MODEL_NOT_FOUND: models\/missing\.gguf does not exist/m)

    const header = lines.find((l) => l.startsWith('bench'))!
    expect(header).toMatch(/^bench\s+experiment\s+output tok\/s\s+TTFT p50 \(ms\)\s+ITL p50 \(ms\)\s+mJ\/token\s+energy method\s+failed\s+status$/)
    const row = lines.find((l) => l.startsWith('tiny > decode '))!
    expect(row.split(/\s{2,}/)).toEqual(['tiny > decode', '[load.concurrency=2]', '51.2', '40.5', '12.2', '5.00', 'estimate (low)', '0/16', 'completed'])
    const failedRow = lines.find((l) => l.startsWith('tiny > prefill '))!
    expect(failedRow.split(/\s{2,}/)).toEqual(['tiny > prefill', '-', '—', '—', '—', '—', 'none', '—', 'failed'])
    // columns line up: every value starts where its header does (left) or ends where it ends (right)
    expect(row.indexOf('[load')).toBe(header.indexOf('experiment'))
    expect(failedRow.indexOf('none')).toBe(header.indexOf('energy method'))

    expect(lines).toContain('1 passed, 1 failed')
    expect(text).toContain('/tmp/llem/runs/run-1')
    expect(text).toContain('12.3s')
    expect(text).toContain('1 measurement warning (see results or --verbose)')
    expect(text).toMatch(/estimate.*not measured/)
  })

  it('counts skipped experiments and prints warnings in verbose mode', async () => {
    const out = captureStream()
    const skipped = { ...infoFor(failedResult), mode: 'skip' as const }
    await runThrough(createConsole(makeContext({ stdout: out.stream, verbose: true })), [completedResult], summaryOf([completedResult], { skipped: [skipped] }))
    const text = stripAnsi(out.text())
    expect(text.split('\n')).toContain('1 passed, 0 failed, 1 skipped')
    expect(text).toContain('tiny > decode [load.concurrency=2]: RAPL unavailable: fell back to the CPU estimate')
    expect(text).not.toContain('see results or --verbose')
  })

  it('leaves out the estimate note when nothing was estimated', async () => {
    const out = captureStream()
    await runThrough(createConsole(makeContext({ stdout: out.stream })), [failedResult])
    expect(stripAnsi(out.text())).not.toMatch(/not measured/)
  })

  it('prints plain lines on a TTY when CI is set', async () => {
    vi.stubEnv('CI', 'true')
    const out = captureStream()
    await runThrough(createConsole(makeContext({ stdout: out.stream, isTTY: true })), [completedResult])
    expect(out.text()).not.toContain('\r')
  })
})

describe('console reporter, TTY', () => {
  it('redraws the running experiment in place, at most ~10 times a second', async () => {
    vi.stubEnv('CI', '')
    vi.useFakeTimers()
    const out = captureStream(80)
    const reporter = createConsole(makeContext({ stdout: out.stream, isTTY: true }))
    const info = infoFor(completedResult)

    await reporter.onExperimentStart?.(info)
    expect(stripAnsi(out.writes.at(-1)!)).toMatch(/^› tiny > decode \[load\.concurrency=2\] {2}starting {2}0ms$/)

    const before = out.writes.length
    for (let i = 1; i <= 50; i++) await reporter.onExperimentProgress?.(info, { phase: 'measure', done: i % 17, total: 16, elapsedMs: i })
    await reporter.onExperimentProgress?.(info, { phase: 'measure', done: 7, total: 16, elapsedMs: 60 })
    expect(out.writes.length).toBe(before) // throttled: nothing yet
    vi.advanceTimersByTime(100)
    expect(out.writes.length).toBe(before + 1) // one redraw for 51 events
    const redraw = stripAnsi(out.writes.at(-1)!)
    expect(redraw.startsWith('\r\x1b[K')).toBe(true)
    expect(redraw).toContain('measure 7/16')
    expect(redraw).not.toContain('\n')

    // elapsed time keeps moving with no events
    vi.advanceTimersByTime(2000)
    expect(stripAnsi(out.writes.at(-1)!)).toContain('2.0s')

    await reporter.onExperimentEnd?.(info, completedResult)
    const end = stripAnsi(out.writes.at(-1)!)
    expect(end.startsWith('\r\x1b[K✓ tiny > decode')).toBe(true)
    await reporter.onRunEnd?.(summaryOf([completedResult]))
    expect(vi.getTimerCount()).toBe(0)
    expect(stripAnsi(out.text()).split('\n')).toContain('1 passed, 0 failed')
  })

  it('keeps one line per running experiment and truncates to the terminal width', async () => {
    vi.stubEnv('CI', '')
    vi.useFakeTimers()
    const out = captureStream(40)
    const reporter = createConsole(makeContext({ stdout: out.stream, isTTY: true }))
    await reporter.onExperimentStart?.(infoFor(completedResult))
    await reporter.onExperimentStart?.(infoFor(failedResult))
    const block = stripAnsi(out.writes.at(-1)!)
    // clears the one line drawn before, then draws two
    expect(block.startsWith('\r\x1b[K')).toBe(true)
    const lines = block.replace('\r\x1b[K', '').split('\n')
    expect(lines).toHaveLength(2)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(39)
    await reporter.onExperimentEnd?.(infoFor(failedResult), failedResult)
    // clear two lines (cursor up once), print the end line, redraw the one still running
    expect(out.writes.at(-1)!).toContain('\x1b[1A')
    await reporter.onRunEnd?.(summaryOf([failedResult]))
    expect(vi.getTimerCount()).toBe(0)
  })
})
