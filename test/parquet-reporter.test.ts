/**
 * The parquet reporter's tables, read back by DuckDB: an independent reader (C++, not the JS library
 * that wrote them) and the one the tables are meant for. It checks what a user's query would see:
 * column names, SQL types (INTEGER vs BIGINT vs DOUBLE), nulls and values.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import createParquet from '../plugins/reporters/parquet.js'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { loadReporters } from '../core/reporters/load-reporters.js'
import type { ExperimentInfo, Reporter, RunSummary } from '../core/reporters/types.js'
import { aggregatedResultSchema, latencyStatisticsSchema, type AggregatedResult } from '../core/results/schema.js'
import { completedResult, failedResult } from './fixtures/results.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'

let dir: string
let db: DuckDBInstance
let sql: DuckDBConnection
beforeAll(async () => {
  // no extension downloads: the parquet reader is built in, and a test must not reach the network
  db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
  sql = await db.connect()
})
afterAll(() => {
  sql.closeSync()
  db.closeSync()
})
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-parquet-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function query(text: string): Promise<Record<string, unknown>[]> {
  return (await sql.runAndReadAll(text)).getRowObjectsJS() as Record<string, unknown>[]
}
/** column name -> DuckDB type, in file order */
async function types(file: string): Promise<Array<[string, string]>> {
  return (await query(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [String(r.column_name), String(r.column_type)])
}

// a completed run with three requests: one failed mid-stream, and streamed gaps that split exactly per
// request (2 + 3 gaps for 3 and 4 output tokens; a failed request's gaps are not in the list)
const process0 = completedResult.process_results[0]
const withRequests: AggregatedResult = {
  ...completedResult,
  process_results: [
    {
      ...process0,
      inference_metrics: { ...process0.inference_metrics!, latency_measurements: { ...process0.inference_metrics!.latency_measurements, itl_full_ms: [10, 12, 11, 13, 30] } },
      requests: [
        { index: 0, prompt_id: 3, ok: true, error: null, input_tokens: 64, output_tokens: 3, start_ms: 0, ttft_ms: 41.2, e2e_ms: 520.1, tpot_ms: 15.4, energy_j: 0.31 },
        { index: 1, prompt_id: 7, ok: false, error: 'stream closed <early> & "badly"', input_tokens: 64, output_tokens: 3, start_ms: 12.5, ttft_ms: 44, e2e_ms: null, tpot_ms: null, energy_j: null },
        { index: 2, prompt_id: 8, ok: true, error: null, input_tokens: 128, output_tokens: 4, start_ms: 20, ttft_ms: 39.5, e2e_ms: 498.7, tpot_ms: 14.8, energy_j: 0.3 },
      ],
    },
  ],
}

async function write(results: AggregatedResult[], outputFile: string | null = null, reporter?: Reporter): Promise<string> {
  const r = reporter ?? createParquet(makeContext({ runDir: dir, outputFile }))
  for (const res of results) await r.onExperimentEnd?.({ id: res.experiment_id, name: res.experiment_name } as ExperimentInfo, res)
  await r.onRunEnd?.({ runId: 'run-1', runDir: dir, results, skipped: [], durationMs: 1, status: 'failed', repeats: [] } satisfies RunSummary)
  return outputFile ?? dir
}

describe('parquet reporter', () => {
  it('writes experiments.parquet with typed columns: ints as INTEGER/BIGINT, measurements as DOUBLE, timestamps as TIMESTAMP', async () => {
    expect(aggregatedResultSchema.safeParse(withRequests).success).toBe(true)
    const out = await write([withRequests, failedResult])
    expect(readdirSync(out).sort()).toEqual(['experiments.parquet', 'requests.parquet'])
    const cols = new Map(await types(join(out, 'experiments.parquet')))
    expect([...cols.keys()].slice(0, 3)).toEqual(['run_id', 'experiment_id', 'experiment_name'])
    const expected: Record<string, string> = {
      status: 'VARCHAR', error_message: 'VARCHAR', repeat_index: 'INTEGER', warnings_count: 'INTEGER',
      total_output_tokens: 'BIGINT', num_requests: 'BIGINT', ttft_samples: 'BIGINT',
      avg_energy_per_token_j: 'DOUBLE', total_energy_j: 'DOUBLE', avg_power_w: 'DOUBLE', output_tokens_per_second: 'DOUBLE',
      ttft_median_ms: 'DOUBLE', itl_p99_ms: 'DOUBLE', e2e_p95_ms: 'DOUBLE', total_flops: 'DOUBLE',
      energy_method: 'VARCHAR', energy_confidence: 'VARCHAR', latency_mode: 'VARCHAR',
      thermal_throttled: 'BOOLEAN', start_time: 'TIMESTAMP',
      // varying config: the sweep key (ints) and the model path (text); settings shared by both are not columns
      'config.load.concurrency': 'BIGINT', 'config.model.path': 'VARCHAR',
    }
    for (const [name, type] of Object.entries(expected)) expect([name, cols.get(name)]).toEqual([name, type])
    expect(cols.has('config.backend.name')).toBe(false)
    expect(cols.has('config.generation.maxTokens')).toBe(false)
    // every latency statistic of the schema is a column, under its own name (measurement_mode as latency_mode)
    for (const key of Object.keys(latencyStatisticsSchema.shape)) expect(cols.has(key === 'measurement_mode' ? 'latency_mode' : key)).toBe(true)
  })

  it('keeps the values, with null where nothing was measured', async () => {
    const out = await write([withRequests, failedResult])
    const rows = await query(`SELECT * FROM read_parquet('${join(out, 'experiments.parquet')}') ORDER BY status`)
    expect(rows).toHaveLength(2)
    const [done, failed] = rows
    expect(done).toMatchObject({
      experiment_id: completedResult.experiment_id, bench_full_name: 'tiny > decode', status: 'completed', repeat_index: 1,
      avg_energy_per_token_j: 0.005, total_energy_j: 2.56, output_tokens_per_second: 51.2, ttft_median_ms: 40.5, itl_median_ms: 12.15,
      e2e_p99_ms: 519.9, total_output_tokens: 512n, num_requests: 16n, num_failed_requests: 0n, warnings_count: 1,
      energy_method: 'estimate', energy_confidence: 'low', latency_mode: 'TRUE_STREAMING', 'config.load.concurrency': 2n,
      error_code: null, total_flops: null, sweep_point: '{"load.concurrency":2}',
    })
    expect(done.avg_power_w).toBeCloseTo(0.256, 12)
    expect(JSON.parse(String(done.measurement_warnings))).toEqual(['RAPL unavailable: fell back to the CPU estimate'])
    expect(done.start_time).toEqual(new Date('2025-01-01T00:00:01.000Z'))
    expect(done.end_time).toEqual(new Date('2025-01-01T00:00:11.000Z'))
    expect(failed).toMatchObject({
      status: 'failed', error_code: 'MODEL_NOT_FOUND', error_phase: 'model_load', error_message: 'models/missing.gguf does not exist',
      avg_energy_per_token_j: null, total_energy_j: null, avg_power_w: null, ttft_median_ms: null, latency_mode: null,
      num_requests: null, warnings_count: 0, 'config.load.concurrency': 1n, 'config.model.path': 'models/missing.gguf',
    })
  })

  it('writes requests.parquet: one row per request of every process, nulls kept', async () => {
    const out = await write([withRequests, failedResult])
    const file = join(out, 'requests.parquet')
    expect(await types(file)).toEqual([
      ['run_id', 'VARCHAR'], ['experiment_id', 'VARCHAR'], ['process_index', 'INTEGER'], ['index', 'INTEGER'], ['prompt_id', 'INTEGER'],
      ['ok', 'BOOLEAN'], ['error', 'VARCHAR'], ['input_tokens', 'INTEGER'], ['output_tokens', 'INTEGER'], ['start_ms', 'DOUBLE'],
      ['ttft_ms', 'DOUBLE'], ['e2e_ms', 'DOUBLE'], ['tpot_ms', 'DOUBLE'],
      ['itl_count', 'INTEGER'], ['itl_median_ms', 'DOUBLE'], ['itl_p99_ms', 'DOUBLE'], ['itl_max_ms', 'DOUBLE'], ['energy_j', 'DOUBLE'],
    ])
    const rows = await query(`SELECT * FROM read_parquet('${file}') ORDER BY index`)
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2])
    expect(rows[0]).toEqual({
      run_id: completedResult.run_id, experiment_id: completedResult.experiment_id, process_index: 0, index: 0, prompt_id: 3, ok: true, error: null,
      input_tokens: 64, output_tokens: 3, start_ms: 0, ttft_ms: 41.2, e2e_ms: 520.1, tpot_ms: 15.4,
      itl_count: 2, itl_median_ms: 11, itl_p99_ms: expect.closeTo(11.98, 9), itl_max_ms: 12, energy_j: 0.31,
    })
    expect(rows[1]).toMatchObject({ ok: false, error: 'stream closed <early> & "badly"', ttft_ms: 44, e2e_ms: null, tpot_ms: null, itl_count: null, itl_median_ms: null, energy_j: null })
    expect(rows[2]).toMatchObject({ itl_count: 3, itl_median_ms: 13, itl_p99_ms: expect.closeTo(29.66, 9), itl_max_ms: 30 })
    // what the table is for: per-experiment aggregates in one query
    const [agg] = await query(`SELECT count(*) AS n, sum(output_tokens) AS out, count(energy_j) AS with_energy FROM read_parquet('${file}') WHERE ok`)
    expect(agg).toEqual({ n: 2n, out: 7n, with_energy: 2n })
  })

  it('leaves the per-request ITL columns null when the stored gaps cannot be split by request', async () => {
    // the shared fixture stores 4 gaps for a request of 32 tokens: any split would be a guess
    const out = await write([completedResult])
    const rows = await query(`SELECT output_tokens, tpot_ms, itl_count, itl_median_ms, itl_max_ms FROM read_parquet('${join(out, 'requests.parquet')}')`)
    expect(rows).toEqual([{ output_tokens: 32, tpot_ms: 15.4, itl_count: null, itl_median_ms: null, itl_max_ms: null }])
  })

  it('compresses with snappy and records the run and schema version in the file metadata', async () => {
    const out = await write([withRequests])
    for (const name of ['experiments.parquet', 'requests.parquet']) {
      const file = join(out, name)
      const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`)
      expect(codecs).toEqual([{ compression: 'SNAPPY' }])
      const kv = await query(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${file}') ORDER BY k`)
      expect(kv).toEqual([{ k: 'llem.run_id', v: completedResult.run_id }, { k: 'llem.schema_version', v: '1.0' }])
      const [meta] = await query(`SELECT created_by FROM parquet_file_metadata('${file}')`)
      expect(meta.created_by).toBe('llem 0.1.0')
    }
  })

  it('puts the sweep keys first among the config columns, typed by their values', async () => {
    const point = (c: number | string, i: number): AggregatedResult => ({
      ...completedResult,
      experiment_id: `sweep-${i}`,
      sweep_point: { 'load.concurrency': c, 'generation.temperature': i / 2 },
      effective_config: { ...completedResult.effective_config, load: { concurrency: c, requests: 16 }, generation: { maxTokens: 32, temperature: i / 2 } },
    })
    const out = await write([point(1, 0), point(2, 1), point(4, 2)])
    const cols = (await types(join(out, 'experiments.parquet'))).filter(([n]) => n.startsWith('config.'))
    expect(cols).toEqual([['config.load.concurrency', 'BIGINT'], ['config.generation.temperature', 'DOUBLE']])
    const rows = await query(`SELECT "config.load.concurrency" AS c, "config.generation.temperature" AS t FROM read_parquet('${join(out, 'experiments.parquet')}')`)
    expect(rows).toEqual([{ c: 1n, t: 0 }, { c: 2n, t: 0.5 }, { c: 4n, t: 1 }])
  })

  it('writes both tables with their full schema and no rows for an empty run', async () => {
    const out = await write([])
    expect((await types(join(out, 'experiments.parquet'))).length).toBeGreaterThan(50)
    expect(await types(join(out, 'requests.parquet'))).toHaveLength(18)
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${join(out, 'requests.parquet')}')`)).toEqual([{ n: 0n }])
  })

  it('treats outputFile as a directory, from the reporter options or the config record, and says where', async () => {
    const stdout = captureStream()
    const base = { runId: 'run-1', runDir: join(dir, 'run'), rootDir: dir, configFile: null, stdout: stdout.stream, isTTY: false, verbose: false }
    const [reporter] = await loadReporters(['parquet'], base, { outputFile: { parquet: 'tables/run-1', json: 'r.json' }, builtins: builtinReporters })
    const out = join(dir, 'tables', 'run-1')
    await write([withRequests], out, reporter)
    expect(readdirSync(out).sort()).toEqual(['experiments.parquet', 'requests.parquet'])
    expect(stdout.text()).toBe(`Parquet tables written to ${out}\n`)
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${join(out, 'requests.parquet')}')`)).toEqual([{ n: 3n }])
  })
})
