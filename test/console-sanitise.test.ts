/**
 * Text from outside llem reaches the terminal and the GitHub Actions log only sanitised: a hostile
 * server's error body (quoted in a request's error and in an experiment's failure), a model or
 * experiment name read from a crafted results file, a worker's output. Each hostile string below is
 * printed by the console reporter (plain and live, verbose warnings included), by the GitHub Actions
 * reporter, and by the CLI's error line; none of them may recolour, move the cursor, link, ring,
 * overwrite a line, or become a workflow command; each is still readable as visible escapes.
 */
/* eslint-disable no-control-regex -- the assertions look for escape and control characters */
import { describe, expect, it, vi } from 'vitest'
import { reportError } from '../core/cli/main.js'
import type { Comparison } from '../core/compare/compare.js'
import { formatText } from '../core/compare/format.js'
import { LlemError } from '../core/errors.js'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import type { AggregatedResult } from '../core/results/schema.js'
import { sanitiseLine, sanitiseText } from '../core/text/sanitise-terminal.js'
import createConsole from '../plugins/reporters/console.js'
import createGithubActions from '../plugins/reporters/github-actions.js'
import { completedResult, failedResult } from './fixtures/results.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'

// what a hostile server or file can carry, and how each must come out of sanitiseLine
const HOSTILE: { name: string; raw: string; line: string }[] = [
  { name: 'CSI colour and clear screen', raw: 'ok\x1b[31mRED\x1b[2J', line: 'ok\\x1b[31mRED\\x1b[2J' },
  { name: 'OSC 8 hyperlink with BEL', raw: '\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07', line: '\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07' },
  { name: 'C1 CSI (one character)', raw: 'a\u009b2Jb', line: 'a\\x9b2Jb' },
  { name: 'CR overwrite', raw: 'HTTP 500\rall good ✓', line: 'HTTP 500\\rall good ✓' },
  { name: 'backspaces and BEL', raw: 'x\b\b\x07', line: 'x\\x08\\x08\\x07' },
  { name: 'bidi override', raw: 'abc\u202edcba', line: 'abc\\u202edcba' },
  { name: 'stop-commands on a new line', raw: 'boom\n::stop-commands::tok', line: 'boom\\n::stop-commands::tok' },
  { name: 'workflow command at the start', raw: '  ::add-mask::x', line: '  \\x3a:add-mask::x' },
  { name: 'old-style command anywhere', raw: 'see ##[set-output name=a]b', line: 'see \\x23#[set-output name=a]b' },
]

describe('sanitiseLine and sanitiseText', () => {
  it.each(HOSTILE)('$name', ({ raw, line }) => {
    expect(sanitiseLine(raw)).toBe(line)
    // text keeps its line breaks, and each line is neutralised as a line of its own
    expect(sanitiseText(raw).split('\n').every((l) => !/^\s*::/.test(l) && !l.includes('##[') && !/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(l))).toBe(true)
  })

  it('leaves ordinary text alone, tabs and line breaks of text included', () => {
    expect(sanitiseLine('tiny > decode [load.concurrency=2] #1: 12.5 tok/s, µJ ±3%')).toBe('tiny > decode [load.concurrency=2] #1: 12.5 tok/s, µJ ±3%')
    expect(sanitiseText('a\tb\r\nc::d\n::e')).toBe('a\tb\nc::d\n\\x3a:e')
  })
})

const evil = HOSTILE.map((h) => h.raw).join(' | ')
// a failed experiment whose name (from a crafted results file) and error (a server's body) are hostile
const failed: AggregatedResult = {
  ...failedResult,
  experiment_name: `tiny > prefill\x1b[2K\r::warning::fake`,
  error: { code: 'BACKEND_FAILED', message: `all 4 measured requests failed; the first: HTTP 500 Scripted: ${evil}`, phase: 'measure' },
}
const warned: AggregatedResult = { ...completedResult, measurement_warnings: [`4 of 8 requests failed: ${evil}`] }
const info = (r: AggregatedResult): ExperimentInfo => ({ id: r.experiment_id, name: r.experiment_name, bench: r.bench, task_hash: r.task_hash, repeat_index: r.repeat_index, mode: 'run', effective_config: r.effective_config })
const summary = (results: AggregatedResult[]): RunSummary => ({ runId: 'r', runDir: '/tmp/r', results, skipped: [], durationMs: 1, repeats: [], status: 'failed' })

/** What nothing printed may contain once llem's own colour codes (SGR) and live-redraw codes are set aside. */
function expectClean(out: string) {
  const own = out.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r\x1b\[K/g, '').replace(/\x1b\[1A/g, '')
  expect(own).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/)
  for (const line of own.split('\n')) {
    expect(line).not.toMatch(/^\s*::(?!error |warning )/)
    expect(line).not.toContain('##[')
  }
  // still readable: the escapes are there
  expect(own).toContain('\\x1b]8;;https://evil.example/\\x07click')
}

async function drive(reporter: ReturnType<typeof createConsole>, results: AggregatedResult[]) {
  for (const r of results) {
    await reporter.onExperimentStart?.(info(r))
    await reporter.onExperimentProgress?.(info(r), { phase: 'measure', done: 1, total: 2, elapsedMs: 1 })
    await reporter.onExperimentEnd?.(info(r), r)
  }
  await reporter.onRunEnd?.(summary(results))
}

describe('where it is printed', () => {
  it.each([
    { name: 'console, plain', isTTY: false },
    { name: 'console, live', isTTY: true },
  ])('$name: failures, names and verbose warnings', async ({ isTTY }) => {
    vi.stubEnv('CI', '')
    const out = captureStream(200)
    await drive(createConsole(makeContext({ stdout: out.stream, isTTY, verbose: true })), [failed, warned])
    vi.unstubAllEnvs()
    expectClean(out.text())
    expect(out.text()).toContain('tiny > prefill\\x1b[2K\\r::warning::fake')
  })

  it('GitHub Actions: every line printed is one of its own annotations', async () => {
    const out = captureStream()
    await drive(createGithubActions(makeContext({ stdout: out.stream })), [failed, warned])
    const text = out.text()
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/)
    const lines = text.trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines.every((l) => /^::(error|warning) file=[^:]*::/.test(l))).toBe(true)
    expect(lines[0]).toContain('\\x1b]8;;https://evil.example/\\x07click')
  })

  it("the CLI's error line", () => {
    const writes: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (writes.push(String(c)), true))
    try {
      reportError(new LlemError('BACKEND_FAILED', `no OpenAI-compatible server answers: ${evil}`), false)
    } finally {
      spy.mockRestore()
    }
    const text = writes.join('')
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/)
    expect(text.split('\n').some((l) => /^\s*::/.test(l))).toBe(false)
    expect(text).toContain('\\x1b]8;;https://evil.example/\\x07click')
  })

  it('`llem compare`: names and warnings read from results files', () => {
    const side = { task_hash: 'abcdef0123456789', ids: ['x'], completed: 1, repeats: 1, energy_method: 'none' }
    const cmp: Comparison = {
      experiments: [{ name: '::stop-commands::tok', bench: 'b', file: 'f', location: 'f:1', matched_by: 'name', baseline: side, current: side, metrics: [], failed: false, warnings: [evil], regressed: false }],
      only_in_baseline: [`gone\n::add-mask::x`],
      only_in_current: [],
      thresholds: [],
      regressions: 0,
      gate_failure: null,
      status: 'passed',
    }
    const text = formatText(cmp, { baseline: 'a', current: 'b' }, false)
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/)
    expect(text.split('\n').some((l) => /^\s*::/.test(l))).toBe(false)
    expect(text).toContain('\\x3a:stop-commands::tok')
    expect(text).toContain('gone\\n::add-mask::x')
  })
})
