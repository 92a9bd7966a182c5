/**
 * A first run is not a silent wait: when an experiment starts its idle baseline, the console says what
 * it is doing and for how long (the configured seconds, and how long the result is reused), and on a
 * terminal counts down the seconds left.
 */
import { describe, expect, it } from 'vitest'
import createConsole from '../plugins/reporters/console.js'
import type { ExperimentInfo } from '../core/reporters/types.js'
import { completedResult } from './fixtures/results.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'

const info = (baseline: Record<string, unknown>): ExperimentInfo => ({
  id: 'e1', name: 'decode', bench: completedResult.bench, task_hash: 'h', repeat_index: 1, mode: 'run',
  effective_config: { measurement: { baseline } },
})

describe('the idle baseline on the console', () => {
  it('says what the baseline is, its length and how long it is reused', () => {
    const out = captureStream()
    const reporter = createConsole(makeContext({ stdout: out.stream }))
    const i = info({ enabled: true, seconds: 30, ttlSeconds: 3600 })
    reporter.onExperimentStart?.(i)
    reporter.onExperimentProgress?.(i, { phase: 'baseline', done: 0, total: null, elapsedMs: 0 })
    reporter.onExperimentProgress?.(i, { phase: 'model_load', done: 0, total: null, elapsedMs: 0 })
    const text = stripAnsi(out.text())
    expect(text).toContain('decode: idle baseline: measuring the machine at rest for up to 30 s (once; reused for 60 min)')
    expect(text).toContain('decode: model load')
  })

  it('no baseline configured: the phase is named plainly', () => {
    const out = captureStream()
    const reporter = createConsole(makeContext({ stdout: out.stream }))
    const i = info({ enabled: false, seconds: 30, ttlSeconds: 3600 })
    reporter.onExperimentProgress?.(i, { phase: 'baseline', done: 0, total: null, elapsedMs: 0 })
    expect(stripAnsi(out.text())).toContain('decode: baseline')
    expect(stripAnsi(out.text())).not.toContain('at rest')
  })
})
