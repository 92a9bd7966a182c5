import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import type { AggregatedResult } from '../core/results/schema.js'
import createZeus, { toZeusCsv } from '../plugins/reporters/zeus-csv.js'
import { gpuResult } from './fixtures/format-results.js'
import { csvRecords, parseCsv } from './fixtures/parse-csv.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'
import { completedResult, failedResult } from './fixtures/results.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-zeus-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function run(results: AggregatedResult[], outputFile: string | null = null) {
  const out = captureStream()
  const reporter = createZeus(makeContext({ runDir: dir, outputFile, stdout: out.stream }))
  for (const r of results) await reporter.onExperimentEnd?.({ id: r.experiment_id } as ExperimentInfo, r)
  await reporter.onRunEnd?.({ runId: 'run-1', runDir: dir, results, skipped: [], durationMs: 1, status: 'failed', repeats: [] } satisfies RunSummary)
  return { text: readFileSync(outputFile ?? join(dir, 'zeus.csv'), 'utf8'), out: out.text() }
}

describe('zeus-csv reporter', () => {
  it('writes start_time,window_name,elapsed_time,gpu{i}_energy: one row per measured window, Unix seconds, seconds, joules', async () => {
    const { text, out } = await run([gpuResult(), completedResult, failedResult])
    expect(out).toBe('')
    expect(text.split('\n')[0]).toBe('start_time,window_name,elapsed_time,gpu2_energy,gpu3_energy')
    expect(text).not.toContain('\r')
    const { records } = csvRecords(text)
    // the failed experiment never closed a window: no row
    expect(records.map((r) => r.window_name)).toEqual(['chat-qwen-abcdef12', completedResult.experiment_id])
    const [gpu, cpu] = records
    // the window closed at 00:00:50 UTC after 39 s of measuring
    expect(Number(gpu.start_time)).toBe(Date.UTC(2025, 0, 1, 0, 0, 11) / 1000)
    expect(Number(gpu.elapsed_time)).toBe(39)
    // columns are driver indices: GPU 2 and GPU 3 of the machine
    expect(Number(gpu.gpu2_energy)).toBe(7800)
    expect(Number(gpu.gpu3_energy)).toBe(3900)
    // a CPU-only experiment used no GPU: empty cells, not zeros
    expect(cpu.gpu2_energy).toBe('')
    expect(cpu.gpu3_energy).toBe('')
    expect(Number(cpu.start_time)).toBe(Date.UTC(2025, 0, 1, 0, 0, 1) / 1000)
    expect(Number(cpu.elapsed_time)).toBe(10)
  })

  it('leaves a GPU empty when its energy was not measured, and has no GPU columns without GPUs', () => {
    const r = gpuResult()
    r.process_results = [{ ...r.process_results[0], energy_per_device_j: { 'nvml:GPU-a': 7800 } }]
    const [header, row] = parseCsv(toZeusCsv([r]))
    expect(row[header.indexOf('gpu2_energy')]).toBe('7800')
    expect(row[header.indexOf('gpu3_energy')]).toBe('')
    expect(toZeusCsv([completedResult]).split('\n')[0]).toBe('start_time,window_name,elapsed_time')
    expect(toZeusCsv([])).toBe('start_time,window_name,elapsed_time\n')
  })

  it('writes to outputFile when set, and says where', async () => {
    const file = join(dir, 'logs', 'zeus-log.csv')
    const { text, out } = await run([gpuResult()], file)
    expect(parseCsv(text)).toHaveLength(2)
    expect(out).toBe(`Zeus CSV written to ${file}\n`)
  })
})
