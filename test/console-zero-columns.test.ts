/**
 * Live progress on a terminal that reports 0 columns (a pty with no size set, some CI shells): the
 * experiment's name is not cut to a stub, the line is laid out for 80 columns.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import createConsole from '../plugins/reporters/console.js'
import type { ExperimentInfo } from '../core/reporters/types.js'
import { completedResult } from './fixtures/results.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('live progress width', () => {
  it('0 columns: a 40-character name is shown whole', () => {
    vi.stubEnv('CI', '')
    const name = 'decode-with-a-rather-long-name [c=8] xyz'
    const out = captureStream(0)
    const reporter = createConsole(makeContext({ stdout: out.stream, isTTY: true }))
    const info: ExperimentInfo = { id: 'e1', name, bench: completedResult.bench, task_hash: 'h', repeat_index: 1, mode: 'run', effective_config: {} }
    reporter.onExperimentStart?.(info)
    expect(name.length).toBe(40)
    expect(stripAnsi(out.text())).toContain(name)
    reporter.onRunEnd?.({ runId: 'r', runDir: '/tmp/r', results: [], skipped: [], durationMs: 0, repeats: [], status: 'passed' })
  })
})
