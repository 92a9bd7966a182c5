/**
 * CodeCarbon's own code (pinned in requirements/peers.txt) reads llem's emissions.csv: its FileOutput
 * recognises the header and adds a real tracked run's row to it in both modes without backing the
 * file up or changing llem's rows, and every column llem fills has the pandas dtype of the file
 * CodeCarbon wrote itself on this machine. llem's carbon intensity equals what CodeCarbon applies for
 * every country in the table it ships, and its world average. Under CI a missing env fails.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { compareEmissionsCsv, compareIntensities, INTENSITY_TOL_G, type CsvComparison, type IntensityComparison } from './fixtures/peers/codecarbon.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

describe('llem and CodeCarbon', () => {
  let csv: CsvComparison
  let intensity: IntensityComparison
  beforeAll(() => {
    const python = pythonEnv('peers')
    csv = compareEmissionsCsv(python)
    intensity = compareIntensities(python)
  }, ENV_BUILD_TIMEOUT_MS)

  it("llem's emissions.csv has CodeCarbon's columns, in its order", () => {
    expect(csv.llemColumns).toEqual(csv.columns)
  })

  it("CodeCarbon's FileOutput reads llem's file and adds its own run's row, in both modes", () => {
    for (const mode of ['append', 'update'] as const) {
      const m = csv.modes[mode]
      expect(m.headers_recognised, mode).toBe(true)
      // a file it did not recognise would have been renamed to emissions.csv.bak first
      expect(m.files, mode).toEqual(['emissions.csv'])
      expect(m.rows, mode).toBe(3)
      expect(m.codecarbon_rows, mode).toBe(1)
      expect(m.llem_rows_intact, mode).toBe(true)
    }
  })

  it('every column llem fills reads back with the dtype of the file CodeCarbon wrote', () => {
    expect(csv.rows.filter((r) => r.verdict === 'differs')).toEqual([])
    // the columns llem measures are compared, not waved through as empty
    const compared = csv.rows.filter((r) => r.verdict === 'same dtype').map((r) => r.column)
    for (const c of ['duration', 'emissions', 'gpu_power', 'gpu_energy', 'energy_consumed', 'cpu_count', 'gpu_count', 'ram_total_size', 'pue']) expect(compared).toContain(c)
  })

  it('the carbon intensity of every country CodeCarbon ships is the one it applies, and so is the world average', () => {
    expect(intensity.rows.length).toBeGreaterThan(200)
    expect(intensity.rows.filter((r) => !r.agree)).toEqual([])
    for (const r of intensity.rows) expect(Math.abs(r.diffG!), r.iso).toBeLessThanOrEqual(INTENSITY_TOL_G)
    expect(intensity.worldAverage.llem).toBe(intensity.worldAverage.codecarbon)
    expect(intensity.llemOnly).toEqual([])
  })
})
