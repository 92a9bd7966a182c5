/**
 * Every command that reads runs (list --run, report, compare, bench --resume/--compare) takes
 * --results-dir and LLEM_RESULTS_DIR and resolves them the same way: a directory typed on the command
 * line or in the environment is relative to the working directory, as a shell user expects; the
 * config's `resultsDir` is relative to the config file's directory.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { writeRunDir } from './fixtures/run-dirs.js'

const BENCH = `import { bench } from 'llem'
bench('tiny', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] } })
`

function projectWithRunIn(rel: string): { dir: string; runId: string } {
  const dir = makeProject({ 'package.json': '{ "name": "p", "private": true, "type": "module" }\n', 'benchmarks/tiny.bench.ts': BENCH })
  mkdirSync(path.join(dir, 'sub'), { recursive: true })
  const runId = '2025-01-01T00-00-00-000-abcdef'
  writeRunDir([{ name: 'tiny', task_hash: '0123456789abcdef', energyJ: 10 }], { root: path.join(dir, rel), runId })
  return { dir, runId }
}

describe('--results-dir on the commands that read runs', () => {
  it('llem list --run latest --results-dir <dir> finds the run there', async () => {
    const { dir, runId } = projectWithRunIn('elsewhere')
    const r = await runCli(dir, ['list', '--run', 'latest', '--results-dir', 'elsewhere'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`run ${runId}`)
  })

  it('list, report and compare resolve --results-dir against the working directory', async () => {
    const { dir, runId } = projectWithRunIn('elsewhere')
    const cwd = path.join(dir, 'sub')
    const list = await runCli(cwd, ['list', '--run', 'latest', '--results-dir', '../elsewhere'])
    expect(list.stderr).toBe('')
    expect(list.stdout).toContain(`run ${runId}`)
    const report = await runCli(cwd, ['report', 'latest', '--results-dir', '../elsewhere', '--reporter', 'json', '--outputFile', path.join(dir, 'out.json')])
    expect(report.stderr).toBe('')
    expect(report.code).toBe(0)
    const compare = await runCli(cwd, ['compare', 'latest', 'latest', '--results-dir', '../elsewhere'])
    expect(compare.stderr).toBe('')
    expect(compare.code).toBe(0)
  })

  it('LLEM_RESULTS_DIR works for list, report and compare alike', async () => {
    const { dir, runId } = projectWithRunIn('from-env')
    const env = { LLEM_RESULTS_DIR: 'from-env' }
    const list = await runCli(dir, ['list', '--run', 'latest'], env)
    expect(list.stdout).toContain(`run ${runId}`)
    const report = await runCli(dir, ['report', 'latest', '--reporter', 'json', '--outputFile', path.join(dir, 'out.json')], env)
    expect(report.stderr).toBe('')
    expect(report.code).toBe(0)
    const compare = await runCli(dir, ['compare', 'latest', 'latest'], env)
    expect(compare.stderr).toBe('')
    expect(compare.code).toBe(0)
  })
})
