import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RunSummary } from '../core/reporters/types.js'
import type { AggregatedResult } from '../core/results/schema.js'
import createCodeCarbon, { CODECARBON_COLUMNS, toCodeCarbonCsv } from '../plugins/reporters/codecarbon.js'
import { gpuResult } from './fixtures/format-results.js'
import { csvRecords } from './fixtures/parse-csv.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'
import { completedResult, failedResult } from './fixtures/results.js'
import { rawProcess } from './fixtures/raw-process.js'
import { aggregate } from '../core/results/aggregate.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llem-codecarbon-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

// docs/references.md, "Peer formats" (CodeCarbon's EmissionsData fields): its emissions.csv columns, in order
const CODECARBON_DOC_COLUMNS =
  'timestamp, project_name, run_id, experiment_id, duration, emissions, emissions_rate, cpu_power, gpu_power, ram_power, cpu_energy, gpu_energy, ram_energy, energy_consumed, water_consumed, country_name, country_iso_code, region, cloud_provider, cloud_region, os, python_version, codecarbon_version, cpu_count, cpu_model, gpu_count, gpu_model, longitude, latitude, ram_total_size, tracking_mode, cpu_utilization_percent, gpu_utilization_percent, ram_utilization_percent, ram_used_gb, on_cloud, pue, wue'.split(', ')

function inGermany(r: AggregatedResult): AggregatedResult {
  const measurement = { ...(r.effective_config.measurement as object), carbon: { country: 'DEU', intensity: null } }
  return { ...r, effective_config: { ...r.effective_config, measurement } }
}

describe('codecarbon reporter', () => {
  it("has CodeCarbon 3.3.0's columns in its order", () => {
    expect([...CODECARBON_COLUMNS]).toEqual(CODECARBON_DOC_COLUMNS)
    expect(toCodeCarbonCsv([]).split('\n')[0]).toBe(CODECARBON_DOC_COLUMNS.join(','))
  })

  it('converts units (kWh, W, kg CO2eq) and fills what llem measured, empty where it did not', () => {
    const { header, records } = csvRecords(toCodeCarbonCsv([inGermany(gpuResult()), completedResult, failedResult]))
    expect(header).toEqual(CODECARBON_DOC_COLUMNS)
    // one row per completed experiment; the failed one measured nothing
    expect(records).toHaveLength(2)
    const [gpu, cpu] = records
    expect(gpu).toMatchObject({ project_name: 'llem', run_id: completedResult.run_id, experiment_id: 'chat-qwen-abcdef12', duration: '39.0', country_iso_code: 'DEU', country_name: 'Germany', gpu_count: '2', gpu_model: '2 x NVIDIA H100 80GB HBM3', cpu_count: '192', cpu_model: 'AMD EPYC 9654', os: 'linux-6.1.0-x64', tracking_mode: 'machine', pue: '1.0' })
    expect(Number(gpu.energy_consumed)).toBeCloseTo(11_700 / 3.6e6, 15)
    expect(Number(gpu.gpu_energy)).toBeCloseTo(11_700 / 3.6e6, 15)
    expect(Number(gpu.gpu_power)).toBe(300)
    expect(Number(gpu.emissions)).toBeCloseTo((11_700 / 3.6e6) * 0.475, 15)
    expect(Number(gpu.emissions_rate)).toBeCloseTo(Number(gpu.emissions) / 39, 18)
    expect(Number(gpu.ram_total_size)).toBe(1512)
    expect(gpu.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
    expect(new Date(gpu.timestamp).getTime()).toBe(Date.parse('2025-01-01T00:00:50.000Z'))
    // measured nothing for these, or llem has no such notion: empty, never a made-up default
    for (const c of ['cpu_power', 'cpu_energy', 'ram_power', 'ram_energy', 'water_consumed', 'region', 'cloud_provider', 'cloud_region', 'python_version', 'codecarbon_version', 'longitude', 'latitude', 'cpu_utilization_percent', 'gpu_utilization_percent', 'ram_utilization_percent', 'ram_used_gb', 'on_cloud', 'wue'])
      expect(gpu[c], c).toBe('')

    // the CPU-only run: CPU energy in kWh, no GPU columns, no country configured
    expect(Number(cpu.cpu_energy)).toBeCloseTo(2.56 / 3.6e6, 15)
    expect(Number(cpu.cpu_power)).toBe(0.256)
    expect(Number(cpu.energy_consumed)).toBeCloseTo(2.56 / 3.6e6, 15)
    expect(Number(cpu.emissions)).toBe(3.2e-7)
    expect(cpu).toMatchObject({ gpu_energy: '', gpu_power: '', gpu_count: '', gpu_model: '', country_iso_code: '', country_name: '' })
  })

  it('data parallel: counts each meter once, as the total does, so the components add up to energy_consumed', () => {
    // two processes on one host, their windows [0, 10] and [5, 12] s: each its own GPU (300 W and
    // 150 W), the host's CPU at 20 W read by both (200 J and 140 J over their own windows)
    const r = aggregate([
      rawProcess({ index: 0, window: [0, 10], host: 'h1', gpus: { 'GPU-a': 3000 }, cpuJ: 200 }),
      rawProcess({ index: 1, window: [5, 12], host: 'h1', gpus: { 'GPU-b': 1050 }, cpuJ: 140 }),
    ])
    const [row] = csvRecords(toCodeCarbonCsv([r])).records
    const kwh = (j: number) => j / 3.6e6
    // the CPU at 20 W over the 12 s the two windows cover: 240 J, not the larger process's 200 J
    expect(Number(row.cpu_energy)).toBeCloseTo(kwh(20 * 12), 15)
    expect(Number(row.cpu_power)).toBeCloseTo(20, 9)
    expect(Number(row.gpu_energy)).toBeCloseTo(kwh(3000 + 1050), 15)
    expect(Number(row.duration)).toBe(12)
    expect(Number(row.energy_consumed)).toBeCloseTo(kwh(3000 + 1050 + 240), 15)
    expect(Number(row.cpu_energy) + Number(row.gpu_energy)).toBeCloseTo(Number(row.energy_consumed), 15)
  })

  it('writes emissions.csv in the run directory, or outputFile, with the project name from its options', async () => {
    const summary: RunSummary = { runId: 'run-1', runDir: dir, results: [completedResult], skipped: [], durationMs: 1, status: 'passed', repeats: [] }
    await createCodeCarbon(makeContext({ runDir: dir })).onRunEnd?.(summary)
    expect(csvRecords(readFileSync(join(dir, 'emissions.csv'), 'utf8')).records[0].project_name).toBe('llem')
    const out = captureStream()
    const file = join(dir, 'cc', 'out.csv')
    await createCodeCarbon(makeContext({ runDir: dir, outputFile: file, options: { projectName: 'energy-ci' }, stdout: out.stream })).onRunEnd?.(summary)
    expect(csvRecords(readFileSync(file, 'utf8')).records[0].project_name).toBe('energy-ci')
    expect(out.text()).toBe(`CodeCarbon emissions.csv written to ${file}\n`)
  })
})
