import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import createJson, { jsonPieces } from '../plugins/reporters/json.js'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { createDispatcher } from '../core/reporters/dispatch.js'
import { loadReporters } from '../core/reporters/load-reporters.js'
import type { ExperimentInfo, Reporter, RunSummary } from '../core/reporters/types.js'
import { aggregatedResultSchema, type AggregatedResult } from '../core/results/schema.js'
import { completedResult, failedResult } from './fixtures/results.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-json-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const info = (r: AggregatedResult) => ({ id: r.experiment_id, name: r.experiment_name }) as ExperimentInfo
const summary = (results: AggregatedResult[]): RunSummary => ({ runId: 'run-42', runDir: dir, results, skipped: [], durationMs: 4321, status: 'failed', repeats: [] })

async function run(reporter: Reporter, results: AggregatedResult[]) {
  for (const r of results) await reporter.onExperimentEnd?.(info(r), r)
  await reporter.onRunEnd?.(summary(results))
}

describe('json reporter', () => {
  it('writes every result, in order, to <runDir>/results.json', async () => {
    const out = captureStream()
    await run(createJson(makeContext({ runDir: dir, stdout: out.stream })), [completedResult, failedResult])
    const report = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
    expect(report).toEqual({ schema_version: '1.0', llem_version: '0.1.0', run_id: 'run-42', status: 'failed', duration_ms: 4321, repeats: [], pareto: expect.any(Object), results: [completedResult, failedResult] })
    // the sweep view: one group per bench, the failed experiment's left out with its reason
    expect(report.pareto.groups.map((g: { bench: string }) => g.bench)).toEqual(['tiny > decode', 'tiny > prefill'])
    expect(report.pareto.groups[1].excluded).toEqual([{ name: failedResult.experiment_name, reason: 'not completed' }])
    for (const r of report.results) expect(aggregatedResultSchema.safeParse(r).success).toBe(true)
    // default location: nothing to announce; no temp files left behind
    expect(out.text()).toBe('')
    expect(readdirSync(dir)).toEqual(['results.json'])
  })

  it('writes piece by piece exactly what JSON.stringify(report, null, 2) would, with and without results', () => {
    const head = { schema_version: '1.0', llem_version: '0.1.0', run_id: 'r', status: 'failed' as const, duration_ms: 5, repeats: [] }
    for (const results of [[], [completedResult], [completedResult, failedResult, completedResult]]) {
      const report = { ...head, results }
      expect([...jsonPieces(report)].join('')).toBe(JSON.stringify(report, null, 2) + '\n')
    }
  })

  it('writes an empty run with llem_version "unknown"', async () => {
    await run(createJson(makeContext({ runDir: dir })), [])
    const report = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
    expect(report.llem_version).toBe('unknown')
    expect(report.results).toEqual([])
  })

  it('writes to ctx.outputFile, creating its directory, and says where', async () => {
    const out = captureStream()
    const file = join(dir, 'deep', 'er', 'report.json')
    await run(createJson(makeContext({ runDir: join(dir, 'run'), outputFile: file, stdout: out.stream })), [completedResult])
    expect(JSON.parse(readFileSync(file, 'utf8')).results).toEqual([completedResult])
    expect(out.text()).toBe(`JSON report written to ${file}\n`)
  })

  it('gets its outputFile from the config (record by name, relative to rootDir) unless its own option says otherwise', async () => {
    const base = { runId: 'run-42', runDir: join(dir, 'run'), rootDir: dir, configFile: null, stdout: captureStream().stream, isTTY: false, verbose: false }
    const [byRecord] = await loadReporters(['json'], base, { outputFile: { json: 'out/r.json', csv: 'out/r.csv' }, builtins: builtinReporters })
    const [byOption] = await loadReporters([['json', { outputFile: 'mine.json' }]], base, { outputFile: 'shared.json', builtins: builtinReporters })
    const [byString] = await loadReporters(['json'], base, { outputFile: 'shared.json', builtins: builtinReporters })
    const d = createDispatcher([byRecord, byOption, byString])
    for (const r of [completedResult, failedResult]) await d.emit('onExperimentEnd', info(r), r)
    await d.emit('onRunEnd', summary([completedResult, failedResult]))
    expect(d.errors()).toEqual([])
    for (const f of ['out/r.json', 'mine.json', 'shared.json']) expect(JSON.parse(readFileSync(join(dir, f), 'utf8')).results).toHaveLength(2)
  })
})
