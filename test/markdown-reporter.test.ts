import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RunSummary } from '../core/reporters/types.js'
import type { AggregatedResult } from '../core/results/schema.js'
import createMarkdown, { MARKDOWN_COLUMNS, toMarkdown } from '../plugins/reporters/markdown.js'
import { gpuResult } from './fixtures/format-results.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'
import { completedResult, failedResult } from './fixtures/results.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-markdown-'))
})
afterEach(() => {
  vi.unstubAllEnvs()
  rmSync(dir, { recursive: true, force: true })
})

const summary = (results: AggregatedResult[]): RunSummary => ({ runId: 'run-7', runDir: dir, results, skipped: [], durationMs: 12_345, status: 'failed', repeats: [] })

/** the table's rows as cells, pipes inside cells kept escaped */
function table(md: string): string[][] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) => l.slice(2, -2).split(/ (?<!\\)\| /))
}

describe('markdown reporter', () => {
  it('has one row per experiment: status, J/token, output tok/s, TTFT p50, ITL p50, avg power, warnings', () => {
    const md = toMarkdown(summary([]), [completedResult, gpuResult(), failedResult])
    expect(md).toContain('## llem results: run `run-7`')
    expect(md).toContain('2 completed, 1 failed · failed in 12.3 s')
    const [header, align, cpu, gpu, failed] = table(md)
    expect(header).toEqual([...MARKDOWN_COLUMNS])
    expect(align[2]).toBe('---:')
    // an estimate is labelled as one, next to the number and in a note under the table
    expect(cpu).toEqual(['tiny > decode [load.concurrency=2]', '✅ completed', '0.005 (estimate)', '51.2', '40.5', '12.15', '0.256', '1'])
    expect(md).toContain('_(estimate): energy modelled from utilisation')
    expect(gpu).toEqual(['chat > qwen', '✅ completed', '22.85', '13.13', '40.5', '12.15', '300', '1'])
    expect(failed).toEqual(['tiny > prefill', '❌ failed: MODEL_NOT_FOUND', '—', '—', '—', '—', '—', '0'])
  })

  it('escapes pipes and line breaks so a name cannot break the table', () => {
    const odd = { ...completedResult, experiment_name: 'a | b\nc' }
    const [, , row] = table(toMarkdown(summary([]), [odd]))
    expect(row[0]).toBe('a \\| b<br>c')
    expect(row).toHaveLength(MARKDOWN_COLUMNS.length)
  })

  it('writes summary.md in the run directory, or outputFile', async () => {
    vi.stubEnv('GITHUB_STEP_SUMMARY', '')
    await createMarkdown(makeContext({ runDir: dir })).onRunEnd?.(summary([completedResult]))
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe(toMarkdown(summary([]), [completedResult]))
    const out = captureStream()
    const file = join(dir, 'pr', 'comment.md')
    await createMarkdown(makeContext({ runDir: dir, outputFile: file, stdout: out.stream })).onRunEnd?.(summary([completedResult]))
    expect(readFileSync(file, 'utf8')).toContain('| tiny > decode [load.concurrency=2] |')
    expect(out.text()).toBe(`Markdown summary written to ${file}\n`)
  })

  it('appends to $GITHUB_STEP_SUMMARY when it is set, keeping what earlier steps wrote', async () => {
    const step = join(dir, 'step-summary.md')
    writeFileSync(step, '# Build\nok\n')
    vi.stubEnv('GITHUB_STEP_SUMMARY', step)
    await createMarkdown(makeContext({ runDir: dir })).onRunEnd?.(summary([completedResult, failedResult]))
    const text = readFileSync(step, 'utf8')
    expect(text.startsWith('# Build\nok\n## llem results: run `run-7`')).toBe(true)
    expect(text).toContain('| tiny > prefill | ❌ failed: MODEL_NOT_FOUND |')
    expect(existsSync(join(dir, 'summary.md'))).toBe(true)
  })
})
