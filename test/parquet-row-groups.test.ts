/**
 * requests.parquet of a big run is written in row groups of 10,000 requests (bounded memory while
 * writing: plugins/reporters/parquet.ts). Read back with DuckDB, the groups are that size and every
 * request is in the table once, with its own values, across the groups' edges.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import createParquet from '../plugins/reporters/parquet.js'
import type { RunSummary } from '../core/reporters/types.js'
import { syntheticRun } from './fixtures/format-results.js'
import { makeContext } from './fixtures/reporter-context.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-parquet-groups-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('requests.parquet row groups', () => {
  it('holds 25,000 requests in groups of 10,000, 10,000 and 5,000, each row its own request', async () => {
    // 250 experiments x 100 requests: request i of experiment e started at floor(i/4) * 10 s + (i % 4) * 10 ms,
    // ended 9,000 + i ms after, and its first token came 100 + (e % 7) ms after (test/fixtures/format-results.ts)
    const results = syntheticRun(250, 100)
    const reporter = createParquet(makeContext({ runDir: dir, outputFile: null }))
    await reporter.onRunEnd?.({ runId: 'run-1', runDir: dir, results, skipped: [], durationMs: 1, status: 'passed', repeats: [] } satisfies RunSummary)
    const file = join(dir, 'requests.parquet')
    const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
    const sql = await db.connect()
    try {
      const groups = (await sql.runAndReadAll(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${file}') ORDER BY row_group_id`)).getRowObjectsJS()
      expect(groups.map((g) => Number(g.row_group_num_rows))).toEqual([10_000, 10_000, 5_000])
      const rows = (await sql.runAndReadAll(`SELECT experiment_id, "index", start_ms, ttft_ms, e2e_ms FROM read_parquet('${file}')`)).getRowObjectsJS()
      expect(rows).toHaveLength(25_000)
      const order = new Map(results.map((r, e) => [r.experiment_id, e]))
      const seen = new Set<string>()
      for (const row of rows) {
        const e = order.get(String(row.experiment_id))!
        const i = Number(row.index)
        seen.add(`${e}/${i}`)
        expect([row.start_ms, row.ttft_ms, row.e2e_ms], `experiment ${e} request ${i}`).toEqual([Math.floor(i / 4) * 10_000 + (i % 4) * 10, 100 + (e % 7), 9_000 + i])
      }
      expect(seen.size).toBe(25_000)
    } finally {
      sql.closeSync()
      db.closeSync()
    }
  })
})
