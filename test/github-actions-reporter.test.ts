import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import createGithubActions, { annotateRegression, escapeData, escapeProperty, parseLocation, resultAnnotations, workflowCommand } from '../plugins/reporters/github-actions.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'
import { completedResult, failedResult } from './fixtures/results.js'

afterEach(() => vi.unstubAllEnvs())

describe('github-actions reporter', () => {
  it('reads bench locations as file:line (what the collector records) and file:line:col', () => {
    expect(parseLocation('benchmarks/a.bench.ts:12', 'x')).toEqual({ file: 'benchmarks/a.bench.ts', line: 12 })
    expect(parseLocation('C:/b.bench.ts:3:5', 'x')).toEqual({ file: 'C:/b.bench.ts', line: 3, col: 5 })
    expect(parseLocation('somewhere', 'fallback.ts')).toEqual({ file: 'fallback.ts' })
  })

  it("escapes as the runner requires: % CR LF in messages, and also ':' ',' in properties", () => {
    expect(escapeData('100% done\r\nnext: a, b')).toBe('100%25 done%0D%0Anext: a, b')
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A')
    expect(workflowCommand('warning', { file: 'x.ts', line: 3, title: 'T: 1, 2' }, 'm%')).toBe('::warning file=x.ts,line=3,title=T%3A 1%2C 2::m%25')
    expect(workflowCommand('notice', {}, 'bare')).toBe('::notice::bare')
  })

  it('annotates a failed experiment with ::error at its bench, and each measurement warning with ::warning', () => {
    expect(resultAnnotations(failedResult)).toEqual([
      '::error file=benches/tiny.bench.ts,line=9,col=3,title=llem%3A tiny > prefill failed::MODEL_NOT_FOUND during model_load: models/missing.gguf does not exist',
    ])
    expect(resultAnnotations(completedResult)).toEqual([
      '::warning file=benches/tiny.bench.ts,line=4,col=3,title=llem measurement warning%3A tiny > decode [load.concurrency=2]::RAPL unavailable: fell back to the CPU estimate',
    ])
    const multiline = { ...completedResult, bench: { ...completedResult.bench, location: 'benches/tiny.bench.ts' }, measurement_warnings: ['first line\nsecond, 5%'], status: 'interrupted' as const, error: null }
    expect(resultAnnotations(multiline)).toEqual([
      '::warning file=benches/tiny.bench.ts,title=llem%3A tiny > decode [load.concurrency=2] interrupted::interrupted before it finished',
      '::warning file=benches/tiny.bench.ts,title=llem measurement warning%3A tiny > decode [load.concurrency=2]::first line%0Asecond, 5%25',
    ])
  })

  it('formats one regression line for compare', () => {
    expect(annotateRegression({ experiment: 'tiny > decode', metric: 'energy_per_token_j', baseline: 0.005, current: 0.0056, thresholdPct: 5, unit: 'J/token', file: 'benches/tiny.bench.ts', line: 4 })).toBe(
      '::error file=benches/tiny.bench.ts,line=4,title=llem regression%3A energy_per_token_j::tiny > decode: energy_per_token_j 0.005 J/token -> 0.0056 J/token (+12.0%25, threshold 5%25)',
    )
    expect(annotateRegression({ experiment: 'e', metric: 'output_tok_s', baseline: 100, current: 80, thresholdPct: 10, level: 'warning' })).toBe(
      '::warning title=llem regression%3A output_tok_s::e: output_tok_s 100 -> 80 (-20.0%25, threshold 10%25)',
    )
  })

  it('writes annotations to stdout as experiments end, once each, with paths relative to the workspace', async () => {
    vi.stubEnv('GITHUB_WORKSPACE', '/ws')
    const out = captureStream()
    const reporter = createGithubActions(makeContext({ rootDir: '/ws/project', stdout: out.stream }))
    await reporter.onExperimentEnd?.({ id: failedResult.experiment_id } as ExperimentInfo, failedResult)
    expect(out.writes).toHaveLength(1)
    expect(out.text()).toMatch(/^::error file=project\/benches\/tiny\.bench\.ts,line=9,col=3,/)
    // onRunEnd annotates what no onExperimentEnd covered (a re-render), and nothing twice
    await reporter.onRunEnd?.({ runId: 'r', runDir: '/tmp/r', results: [failedResult, completedResult], skipped: [], durationMs: 1, status: 'failed', repeats: [] } satisfies RunSummary)
    const lines = out.text().trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(/^::warning file=project\/benches\/tiny\.bench\.ts,line=4,col=3,title=llem measurement warning%3A /)
  })
})
