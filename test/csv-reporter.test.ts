import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import createCsv, { csvField, toCsv } from '../plugins/reporters/csv.js'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import { aggregatedResultSchema, type AggregatedResult } from '../core/results/schema.js'
import { completedResult, failedResult } from './fixtures/results.js'
import { makeContext } from './fixtures/reporter-context.js'
import { parseCsv } from './fixtures/parse-csv.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-csv-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function writeCsv(results: AggregatedResult[], outputFile: string | null = null): Promise<string> {
  const reporter = createCsv(makeContext({ runDir: dir, outputFile }))
  for (const r of results) await reporter.onExperimentEnd?.({ id: r.experiment_id, name: r.experiment_name } as ExperimentInfo, r)
  await reporter.onRunEnd?.({ runId: 'run-1', runDir: dir, results, skipped: [], durationMs: 1, status: 'failed', repeats: [] } satisfies RunSummary)
  return readFileSync(outputFile ?? join(dir, 'results.csv'), 'utf8')
}

describe('csv reporter', () => {
  it('writes a header and one row per experiment to <runDir>/results.csv', async () => {
    expect(aggregatedResultSchema.safeParse(completedResult).success).toBe(true)
    expect(aggregatedResultSchema.safeParse(failedResult).success).toBe(true)
    const text = await writeCsv([completedResult, failedResult])
    expect(text.endsWith('\r\n')).toBe(true)
    const [header, done, failed, ...rest] = parseCsv(text)
    expect(rest).toEqual([])
    expect(header.slice(0, 3)).toEqual(['experiment_id', 'experiment_name', 'status'])
    expect(header.slice(3)).toEqual([...header.slice(3)].sort())
    const cell = (row: string[], col: string) => row[header.indexOf(col)]
    expect(cell(done, 'experiment_id')).toBe(completedResult.experiment_id)
    expect(cell(done, 'output_tokens_per_second')).toBe('51.2')
    expect(cell(done, 'latency_stats.ttft_median_ms')).toBe('40.5')
    expect(cell(done, 'energy_breakdown.baseline_method')).toBe('fresh')
    expect(cell(done, 'sweep_point.load.concurrency')).toBe('2')
    // nulls are empty fields; a column present in only one row is empty in the others
    expect(cell(failed, 'status')).toBe('failed')
    expect(cell(failed, 'avg_energy_per_token_j')).toBe('')
    expect(cell(failed, 'latency_stats.ttft_median_ms')).toBe('')
    expect(cell(failed, 'error.code')).toBe('MODEL_NOT_FOUND')
    expect(cell(done, 'error')).toBe('')
  })

  it('flattens effective_config into dotted columns and keeps scalars only', async () => {
    const [header, done, failed] = parseCsv(await writeCsv([completedResult, failedResult]))
    expect(header).toEqual(expect.arrayContaining(['effective_config.load.concurrency', 'effective_config.backend.name', 'effective_config.generation.maxTokens']))
    expect(done[header.indexOf('effective_config.load.concurrency')]).toBe('2')
    expect(failed[header.indexOf('effective_config.load.concurrency')]).toBe('1')
    for (const col of header) {
      expect(col).not.toMatch(/^(process_results|parameter_provenance|environment)(\.|$)/)
      // arrays (warnings, probes, raw latencies) are not columns
      expect(col).not.toMatch(/^(measurement_warnings|config_warnings|preset_chain|effective_config\.probes|aggregation\.warnings)$/)
    }
  })

  it('quotes fields with commas, quotes and line breaks (RFC 4180)', async () => {
    const odd = { ...completedResult, experiment_name: 'tiny > decode, "fast"', model_name: 'line one\nline two' }
    const text = await writeCsv([odd])
    expect(text).toContain(',"tiny > decode, ""fast""",')
    const [header, row] = parseCsv(text)
    expect(row[header.indexOf('experiment_name')]).toBe('tiny > decode, "fast"')
    expect(row[header.indexOf('model_name')]).toBe('line one\nline two')
    expect(csvField('plain')).toBe('plain')
    expect(csvField(null)).toBe('')
    expect(csvField(false)).toBe('false')
  })

  it('writes to ctx.outputFile when set', async () => {
    const file = join(dir, 'sub', 'out.csv')
    expect(await writeCsv([completedResult], file)).toBe(toCsv([completedResult]))
  })
})
