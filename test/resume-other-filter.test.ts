/**
 * `--resume` with another filter than the run was started with: the run directory stays one run.
 * The experiment the first invocation completed is kept (not run again, still in the manifest and in
 * results.json), the newly selected one is added, and results.json agrees with what `llem report`
 * rebuilds from the run's files.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const bench = (name: string) => `import { bench } from 'llem'\nbench('${name}', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 2 } })\n`

describe('--resume with another filter', () => {
  it('keeps the experiments of the earlier invocation, and results.json agrees with llem report', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG.replace('export default {', "export default {\n  reporters: ['json'],\n  probes: { nvml: false, rapl: false },"),
      'benchmarks/first.bench.ts': bench('alpha'),
      'benchmarks/second.bench.ts': bench('beta'),
    })
    const one = await runCli(dir, ['bench', 'first'])
    expect(one.code, one.stderr).toBe(0)
    const root = path.join(dir, 'llem-results')
    const runDir = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'))
    const alpha = json(path.join(runDir, 'results.json')).results[0]
    expect(alpha.experiment_name).toBe('alpha')

    const two = await runCli(dir, ['bench', '--resume', 'latest', 'second'])
    expect(two.code, two.stderr).toBe(0)
    expect(two.stderr).toContain('0 of 1 experiments already completed; 1 other experiment of that run (not selected now) kept as it was')
    const manifest = json(path.join(runDir, 'manifest.json'))
    expect(manifest.experiments.map((e: { name: string }) => e.name).sort()).toEqual(['alpha', 'beta'])
    const results = json(path.join(runDir, 'results.json')).results as { experiment_id: string; experiment_name: string; status: string; created_at?: string }[]
    expect(results.map((r) => r.experiment_name).sort()).toEqual(['alpha', 'beta'])
    // alpha was not run again: the very result of the first invocation
    expect(results.find((r) => r.experiment_name === 'alpha')).toEqual(alpha)

    const rebuilt = await runCli(dir, ['report', runDir, '--reporter', 'json', '--outputFile.json', path.join(dir, 'rebuilt.json')])
    expect(rebuilt.code, rebuilt.stderr).toBe(0)
    const key = (rs: { experiment_id: string; status: string }[]) => rs.map((r) => `${r.experiment_id}:${r.status}`).sort()
    expect(key(json(path.join(dir, 'rebuilt.json')).results)).toEqual(key(results))
  }, 120_000)
})
