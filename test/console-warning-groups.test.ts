/**
 * Warnings that help: 45 warnings over 15 experiments hide the one that matters. The console groups
 * identical warnings (once, with the experiments that had them) and, without --verbose, shows the
 * few that only some experiments had, where the boilerplate every experiment carries is not.
 */
import { describe, expect, it } from 'vitest'
import createConsole from '../plugins/reporters/console.js'
import type { AggregatedResult } from '../core/results/schema.js'
import { completedResult } from './fixtures/results.js'
import { captureStream, makeContext, stripAnsi } from './fixtures/reporter-context.js'

const COMMON = 'an estimate is a model, not a measurement'
const RARE = 'GPU GPU-1 was throttled: hw_slowdown for 2.00 s'
const result = (name: string, warnings: string[]): AggregatedResult => ({
  ...completedResult, experiment_id: name, experiment_name: name, bench: { ...completedResult.bench, full_name: name }, measurement_warnings: warnings,
})
const results = [result('a', [COMMON]), result('b', [COMMON, RARE]), result('c', [COMMON])]

async function end(verbose: boolean): Promise<string> {
  const out = captureStream()
  const reporter = createConsole(makeContext({ stdout: out.stream, verbose }))
  await reporter.onRunEnd?.({ runId: 'r', runDir: '/tmp/r', results, skipped: [], durationMs: 1000, repeats: [], status: 'passed' })
  return stripAnsi(out.text())
}

describe('measurement warnings on the console', () => {
  it('without --verbose: the count, then the warning only one experiment had, not the boilerplate', async () => {
    const text = await end(false)
    expect(text).toContain('4 measurement warnings (see results or --verbose)')
    expect(text).toContain(`! b: ${RARE}`)
    expect(text).not.toContain(COMMON)
  })

  it('with --verbose: each distinct warning once, naming who had it', async () => {
    const text = await end(true)
    expect(text).toContain(`! b: ${RARE}`)
    expect(text).toContain(`! all 3 experiments: ${COMMON}`)
    expect(text.split(COMMON)).toHaveLength(2)
  })
})
