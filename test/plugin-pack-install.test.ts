/**
 * llem as a user gets it: `npm pack` of this package, installed from the tarball into a fresh project
 * (a real install: node_modules/llem is a copy, not a link to this repository), with a backend, a
 * probe and a reporter of the user's own (test/fixtures/plugin-pack/): two files by path and one
 * reporter as an installed package. `npx llem bench` runs there, and the results must be what the
 * plugins did: the scripted backend's tokens, the scripted meter's constant power over the window,
 * France's grid intensity (read from the installed package's data file) and the reporters' files.
 *
 * It runs from dist/ (npm test builds it first, as for every CLI test). The install is the slow part:
 * about 20 s with the npm cache warm (dependencies come from ~/.npm; the registry otherwise).
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const fixture = path.join(repo, 'test', 'fixtures', 'plugin-pack')
// the scenario, as test/fixtures/plugin-pack/ sets it
const REQUESTS = 8 // 2 prompts x repeat 4
const TOKENS = 5
const GAP_MS = 20
const WATTS = 42
// France's grid intensity, g CO2/kWh: Our World in Data, 2023 (as CodeCarbon 3.3.0 ships it)
const FRANCE_G_PER_KWH = 56.039

let dir: string

function sh(cmd: string, args: string[], cwd: string, timeout = 180_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } })
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error }
}

describe('llem installed from its npm tarball, with plugins of the user’s own', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'llem-pack-'))
    const packDir = path.join(dir, 'pack')
    mkdirSync(packDir)
    // dist/ is already built (npm test's pretest); --ignore-scripts skips `prepare` building it again
    const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], repo)
    expect(pack.code, pack.stderr).toBe(0)
    const tarball = path.join(packDir, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename)
    const project = path.join(dir, 'project')
    cpSync(fixture, project, { recursive: true })
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'llem-pack-test', private: true, type: 'module' }))
    const started = Date.now()
    const install = sh('npm', ['install', tarball, './my-llem-reporter', '--prefer-offline', '--no-audit', '--no-fund'], project, 240_000)
    console.log(`npm install of the tarball took ${((Date.now() - started) / 1000).toFixed(1)} s`)
    expect(install.code, install.stderr + String(install.error ?? '')).toBe(0)
  }, 300_000)

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('installs a copy of the package, with the data files it reads at run time', () => {
    const installed = path.join(dir, 'project', 'node_modules', 'llem')
    expect(readdirSync(path.join(dir, 'project', 'node_modules'))).toContain('llem')
    expect(existsSync(path.join(installed, 'dist', 'core', 'plugin.js'))).toBe(true)
    expect(existsSync(path.join(installed, 'dist', 'core', 'plugin.d.ts'))).toBe(true)
    expect(existsSync(path.join(installed, 'core', 'measure', 'carbon-intensity-by-country.csv'))).toBe(true)
    // a copy: not this repository under another name
    expect(existsSync(path.join(installed, 'core', 'index.ts'))).toBe(false)
  })

  it('runs the custom backend and probe in its workers and hands the results to both custom reporters', () => {
    const project = path.join(dir, 'project')
    const run = sh('npx', ['--no-install', 'llem', 'bench'], project)
    expect(run.code, run.stderr).toBe(0)

    const report = JSON.parse(readFileSync(path.join(project, 'out', 'tokens.json'), 'utf8'))
    expect(report.label).toBe('pack test')
    expect(report.rows).toHaveLength(1)
    const row = report.rows[0]
    expect(row).toMatchObject({ name: 'scripted source', status: 'completed', total_output_tokens: REQUESTS * TOKENS })
    // one request at a time, each TOKENS gaps of GAP_MS: the window cannot be shorter (timers may
    // fire up to 1 ms early), and on a loaded machine it is not much longer
    expect(row.total_inference_time_sec).toBeGreaterThan((REQUESTS * TOKENS * (GAP_MS - 1)) / 1000)
    expect(row.total_inference_time_sec).toBeLessThan((REQUESTS * TOKENS * GAP_MS * 3) / 1000)
    // the meter reads WATTS always: energy = WATTS x the window, within 1% (the energy reads and the
    // window edges are taken a few microseconds apart)
    expect(row.total_energy_j / row.total_inference_time_sec).toBeGreaterThan(WATTS * 0.99)
    expect(row.total_energy_j / row.total_inference_time_sec).toBeLessThan(WATTS * 1.01)
    // J -> kWh x g/kWh -> kg
    const expectedKg = (row.total_energy_j / 3.6e6) * FRANCE_G_PER_KWH / 1000
    expect(row.emissions_kg_co2).toBeCloseTo(expectedKg, 12)
    expect(Math.abs(row.emissions_kg_co2 / expectedKg - 1)).toBeLessThan(1e-6)

    // the reporter installed as a package, with its option
    expect(readFileSync(path.join(project, 'out', 'lines.txt'), 'utf8')).toBe(`done: scripted source completed ${REQUESTS * TOKENS}\n`)

    // the stored result: the token times the backend stamped, and the probe named as it names itself
    const runs = readdirSync(path.join(project, 'llem-results'))
    const aggregated = path.join(project, 'llem-results', runs[0], 'aggregated')
    const result = JSON.parse(readFileSync(path.join(aggregated, readdirSync(aggregated)[0]), 'utf8'))
    expect(result.latency_stats.itl_median_ms).toBeGreaterThan(GAP_MS - 1)
    expect(result.latency_stats.itl_median_ms).toBeLessThan(GAP_MS * 2.5)
    expect(result.latency_stats.ttft_median_ms).toBeGreaterThan(GAP_MS - 1)
    // the meter alone measured: no built-in probe was tried, so none added energy of its own
    expect(result.environment.probes).toEqual({ 'scripted-meter': { meter: 'scripted', watts: WATTS } })
    expect(result.environment.unavailable_probes).toEqual({})
  })

  it('checks the custom backend’s options against its own schema: file, dotted path, exit 2', () => {
    const project = path.join(dir, 'project')
    const typo = sh('npx', ['--no-install', 'llem', 'bench', '--dry-run', '--backend.tokenz', '3'], project)
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('benchmarks/scripted.bench.ts:3: bench("scripted source"): unknown key "backend.tokenz" (did you mean "tokens"?)')
    const wrongType = sh('npx', ['--no-install', 'llem', 'bench', '--dry-run', '--backend.gapMs', 'fast'], project)
    expect(wrongType.code).toBe(2)
    expect(wrongType.stderr).toContain('backend.gapMs: expected number, got string ("fast")')
  })
})
