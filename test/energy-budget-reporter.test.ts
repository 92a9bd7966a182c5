import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InputError } from '../core/errors.js'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { createDispatcher } from '../core/reporters/dispatch.js'
import { loadReporters } from '../core/reporters/load-reporters.js'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import type { AggregatedResult } from '../core/results/schema.js'
import { gpuResult } from './fixtures/format-results.js'
import { captureStream } from './fixtures/reporter-context.js'
import { completedResult, failedResult } from './fixtures/results.js'

// the example reporter of docs/plugins.md, loaded from its .ts path as a user's config would name it
const SPEC = './benchmarks/reporters/energy-budget.ts'
const rootDir = path.resolve(import.meta.dirname, '..')

let runDir: string
beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'llem-budget-'))
})
afterEach(() => rmSync(runDir, { recursive: true, force: true }))

async function runWith(options: Record<string, unknown>, results: AggregatedResult[], outputFile: Record<string, string> | null = null) {
  const out = captureStream()
  const err = captureStream()
  const base = { runId: 'run-9', runDir, rootDir, configFile: null, stdout: out.stream, isTTY: false, verbose: false }
  const reporters = await loadReporters(['json', [SPEC, options]], base, { outputFile, builtins: builtinReporters })
  const d = createDispatcher(reporters, { stderr: err.stream })
  for (const r of results) await d.emit('onExperimentEnd', { id: r.experiment_id, name: r.experiment_name } as ExperimentInfo, r)
  await d.emit('onRunEnd', { runId: 'run-9', runDir, results, skipped: [], durationMs: 5, status: 'failed', repeats: [] } satisfies RunSummary)
  return { reporters, errors: d.errors(), out: out.text(), err: err.text() }
}

describe('the energy-budget example reporter', () => {
  it('loads from its .ts path with its options, checks each experiment, and writes its verdicts', async () => {
    const { reporters, errors, out } = await runWith({ maxJPerToken: 0.01 }, [completedResult, failedResult])
    expect(reporters.map((r) => r.name)).toEqual(['json', 'energy-budget'])
    expect(errors).toEqual([])
    expect(out).toBe(
      'energy-budget: ok   tiny > decode [load.concurrency=2]: 0.00500 J/token (budget 0.01; within)\n' +
        'energy-budget: ok   tiny > prefill: no J/token (budget 0.01; no energy)\n',
    )
    const file = JSON.parse(readFileSync(path.join(runDir, 'energy-budget.json'), 'utf8'))
    expect(file).toEqual({
      run_id: 'run-9',
      budget_j_per_token: 0.01,
      experiments: [
        { experiment: 'tiny > decode [load.concurrency=2]', j_per_token: 0.005, energy_method: 'estimate', verdict: 'within' },
        { experiment: 'tiny > prefill', j_per_token: null, energy_method: 'none', verdict: 'no energy' },
      ],
    })
  })

  it('fails the run when an experiment is over budget, and the other reporters still write', async () => {
    const gate = path.join(runDir, 'gate', 'budget.json')
    // outputFile keyed by the spec as written
    const { errors, err, out } = await runWith({ maxJPerToken: 0.01 }, [gpuResult(), completedResult], { [SPEC]: gate })
    expect(out).toContain('energy-budget: OVER chat > qwen: 22.9 J/token (budget 0.01; over)\n')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ reporter: 'energy-budget', hook: 'onRunEnd' })
    expect(err).toContain('llem: reporter "energy-budget" failed in onRunEnd: Error: 1 experiment(s) over 0.01 J/token: chat > qwen')
    expect(JSON.parse(readFileSync(gate, 'utf8')).experiments.map((e: { verdict: string }) => e.verdict)).toEqual(['over', 'within'])
    expect(JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')).results).toHaveLength(2)
  })

  it('does not gate on estimated energy when told to trust measurements only', async () => {
    const { errors } = await runWith({ maxJPerToken: 0.001, measuredOnly: true }, [completedResult])
    expect(errors).toEqual([])
    expect(JSON.parse(readFileSync(path.join(runDir, 'energy-budget.json'), 'utf8')).experiments[0].verdict).toBe('not gated (estimate)')
  })

  it('refuses to load without a budget, before anything runs', async () => {
    const e = await runWith({}, []).catch((error: unknown) => error)
    // bad input (exit 2) naming the reporter, with the reporter's own reason
    expect(e).toBeInstanceOf(InputError)
    expect((e as Error).message).toMatch(/^reporter ".*energy-budget\.ts": creating it failed: energy-budget: options\.maxJPerToken must be a positive number of joules per token, got undefined$/)
  })
})
