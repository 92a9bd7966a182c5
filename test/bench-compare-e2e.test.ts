/**
 * `llem bench --compare <baseline>` with real tiny runs: the comparison printed after the run, exit 1
 * when a metric regressed past its threshold, a failed run keeping its own exit code, and a bad
 * baseline or threshold refused before anything runs.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const BENCH = `import { bench } from 'llem'
bench('greedy', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 4 } })
`
const runs = (dir: string) => readdirSync(path.join(dir, 'llem-results')).filter((d) => !d.startsWith('.')).sort()
const bench = (dir: string, args: string[], env: Record<string, string> = {}) => runCli(dir, ['bench', ...args], { GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: '', ...env })

/** A copy of a run whose energy readings are `factor` times what was measured: a baseline the new run must lose to. */
function scaledCopy(runDir: string, to: string, factor: number): string {
  cpSync(runDir, to, { recursive: true })
  const rawDir = path.join(to, 'raw')
  for (const id of readdirSync(rawDir))
    for (const f of readdirSync(path.join(rawDir, id))) {
      const file = path.join(rawDir, id, f)
      const raw = JSON.parse(readFileSync(file, 'utf8'))
      for (const k of ['total_energy_j', 'gpu_energy_j', 'cpu_energy_j', 'ram_energy_j']) if (typeof raw.energy_metrics?.[k] === 'number') raw.energy_metrics[k] *= factor
      writeFileSync(file, JSON.stringify(raw))
    }
  return to
}

describe('llem bench --compare', () => {
  let dir = ''
  let baseline = ''

  beforeAll(async () => {
    dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/g.bench.ts': BENCH })
    const r = await bench(dir, [])
    expect(r.code, r.stderr).toBe(0)
    baseline = path.join(dir, 'llem-results', runs(dir)[0])
  })

  it('against the latest run: matched by task_hash, printed after the run summary, exit 0', async () => {
    const r = await bench(dir, ['--compare', 'latest', '--threshold', 'energy_per_token_j=1000%'])
    expect(r.code, r.stderr).toBe(0)
    expect(runs(dir)).toHaveLength(2)
    const summaryAt = r.stdout.search(/^1 passed, 0 failed$/m)
    const compareAt = r.stdout.indexOf(`baseline ${path.join('llem-results', runs(dir)[0])} (1 result)`)
    expect(summaryAt).toBeGreaterThan(-1)
    expect(compareAt).toBeGreaterThan(summaryAt)
    expect(r.stdout).toContain(`current  ${path.join('llem-results', runs(dir)[1])} (1 result)`)
    expect(r.stdout).toMatch(/^greedy {2}matched by task_hash [0-9a-f]{8}$/m)
    expect(r.stdout).toMatch(/^ {2}energy_per_token_j \(J\/token\) +[\d.e-]+ +[\d.e-]+ .*ok \(limit 1000%\)$/m)
    expect(r.stdout).toMatch(/^no regressions$/m)
  })

  it('a regression past the threshold exits 1, with an ::error annotation in GitHub Actions', async () => {
    const cheap = scaledCopy(baseline, path.join(dir, 'cheap-baseline'), 0.01)
    const r = await bench(dir, ['--compare', cheap, '--threshold', 'energy_per_token_j=50%'], { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir })
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/^1 passed, 0 failed$/m)
    expect(r.stdout).toMatch(/^ {2}energy_per_token_j \(J\/token\) .*worse, REGRESSED \(limit 50%\)$/m)
    expect(r.stdout).toMatch(/^::error file=benchmarks\/g\.bench\.ts,line=2,title=llem regression%3A energy_per_token_j::greedy: energy_per_token_j [\d.e-]+ J\/token -> [\d.e-]+ J\/token \(\+\d+\.\d%25, threshold 50%25\)$/m)
    expect(r.stdout).toMatch(/^1 regression$/m)
  })

  it('a run whose experiment failed keeps its own exit code, and the comparison says what is missing', async () => {
    const r = await bench(dir, ['--compare', baseline, '--timeout', '1'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^0 passed, 1 failed$/m)
    expect(r.stdout).toContain('! no completed result in the current run (failed: TIMEOUT')
  })

  it('a bad baseline or threshold is bad input, refused before anything runs', async () => {
    const before = runs(dir).length
    const missing = await bench(dir, ['--compare', 'no/such/run'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`no such run directory or results file: ${path.join(dir, 'no/such/run')}`)
    const badThreshold = await bench(dir, ['--compare', 'latest', '--threshold', 'energy=5%'])
    expect(badThreshold.code).toBe(2)
    expect(badThreshold.stderr).toContain('unknown metric "energy"')
    const alone = await bench(dir, ['--threshold', 'energy_per_token_j=5%'])
    expect(alone.code).toBe(2)
    expect(alone.stderr).toContain('--threshold needs --compare <baseline>')
    expect(runs(dir)).toHaveLength(before)
  })
})
