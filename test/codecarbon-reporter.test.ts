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

  it('adds GPU energy over processes and takes the host-wide CPU energy once', () => {
    const r = gpuResult()
    const p = r.process_results[0]
    const withCpu = { ...p.energy_metrics!, cpu_energy_j: 500, cpu_power_w: 12.8 }
    r.process_results = [{ ...p, energy_metrics: withCpu }, { ...p, process_index: 1, energy_metrics: { ...withCpu, cpu_energy_j: 520, cpu_power_w: 13.3 } }]
    const [row] = csvRecords(toCodeCarbonCsv([r])).records
    expect(Number(row.gpu_energy)).toBeCloseTo(23_400 / 3.6e6, 15)
    expect(Number(row.gpu_power)).toBe(600)
    expect(Number(row.cpu_energy)).toBeCloseTo(520 / 3.6e6, 15)
    expect(Number(row.cpu_power)).toBe(13.3)
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
