/** Repeat order (grouped, interleaved, seeded shuffle) and the bootstrap CIs over repeats. */
import { describe, expect, it } from 'vitest'
import type { Experiment } from '../core/plan/plan.js'
import { summariseRepeats } from '../core/results/repeat-stats.js'
import { orderExperiments } from '../core/run/run-bench.js'
import { completedResult } from './fixtures/results.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const x = (name: string, r: number) => ({ id: `${name}${r}`, name: `${name} #${r}`, repeat_index: r }) as unknown as Experiment
const plan = [x('a', 1), x('a', 2), x('a', 3), x('b', 1), x('b', 2), x('b', 3)]
const ids = (xs: Experiment[]) => xs.map((e) => e.id).join(' ')

describe('experiment order', () => {
  it('grouped keeps the plan, interleaved goes round by repeat, shuffled is a seeded permutation', () => {
    expect(ids(orderExperiments(plan, 'grouped', 0))).toBe('a1 a2 a3 b1 b2 b3')
    expect(ids(orderExperiments(plan, 'interleaved', 0))).toBe('a1 b1 a2 b2 a3 b3')
    const s1 = ids(orderExperiments(plan, 'shuffled', 7))
    expect(s1).toBe(ids(orderExperiments(plan, 'shuffled', 7)))
    expect(s1.split(' ').sort().join(' ')).toBe('a1 a2 a3 b1 b2 b3')
    expect(ids(orderExperiments(plan, 'shuffled', 8))).not.toBe(s1)
  })
})

describe('repeats', () => {
  it('mean and Student t 95% CI of each headline number, per task_hash', () => {
    const rep = (v: number, i: number) => ({ ...completedResult, experiment_name: `${completedResult.experiment_name} #${i}`, total_energy_j: v * completedResult.total_output_tokens!, output_tokens_per_second: 100 + v * 1000 })
    const [s] = summariseRepeats([rep(0.01, 1), rep(0.012, 2), rep(0.011, 3), rep(0.013, 4)])
    expect(s.repeats).toBe(4)
    expect(s.metrics.energy_per_token_j!.mean).toBeCloseTo(0.0115, 9)
    // s = √(5e-6 / 3) = 0.00129099, s/√4 = 0.000645497, t(0.975, 3) = 3.182446: half-width 0.00205426;
    // wider than the values' own range, as an honest interval from 4 values is
    expect(s.metrics.energy_per_token_j!.ci_lower).toBeCloseTo(0.0115 - 0.00205426, 8)
    expect(s.metrics.energy_per_token_j!.ci_upper).toBeCloseTo(0.0115 + 0.00205426, 8)
    expect(s.name).toBe(completedResult.experiment_name.replace(/ #\d+$/, ''))
    // deterministic: the same values give the same interval
    expect(summariseRepeats([rep(0.01, 1), rep(0.012, 2), rep(0.011, 3), rep(0.013, 4)])[0]).toEqual(s)
    expect(summariseRepeats([rep(0.01, 1)])).toEqual([])
  })

  it('end to end: repeat 3 interleaved writes repeats.json and the console shows the CIs', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG.replace('export default {', "export default {\n  order: 'interleaved',"),
      'benchmarks/r.bench.ts': "import { bench } from 'llem'\nbench('r', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] }, load: { requests: 10 }, repeat: 3, sweep: { 'generation.maxTokens': [8, 12] } })\n",
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Repeats: mean [95% CI, Student t]')
    // interleaved: the two sweep points alternate
    const starts = r.stdout.split('\n').filter((l) => l.startsWith('→ ')).map((l) => l.match(/maxTokens=(\d+)\] #(\d)/)!.slice(1).join('#'))
    expect(starts).toEqual(['8#1', '12#1', '8#2', '12#2', '8#3', '12#3'])
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).filter((d) => !d.startsWith('.'))[0])
    const repeats = JSON.parse(readFileSync(path.join(runDir, 'repeats.json'), 'utf8'))
    expect(repeats).toHaveLength(2)
    for (const g of repeats) {
      expect(g.completed).toBe(3)
      expect(g.metrics.output_tokens_per_second.values).toHaveLength(3)
      expect(g.metrics.output_tokens_per_second.ci_lower).toBeLessThanOrEqual(g.metrics.output_tokens_per_second.mean)
    }
  })
})
