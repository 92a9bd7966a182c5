/**
 * What a CI gate pairs and how it decides, where a wrong pairing or a missing result would let a
 * regression through: benches of one name in two files, a resumed run that kept a failed result beside
 * the fixed one, experiments the current run planned and never ran, a capacity sweep's rate steps
 * (decided at run time, so their configs never repeat), a change of exactly the limit, a gated metric
 * measured in only some repeats, and thresholds that would switch the gate off. Expected values are the
 * scenario's own numbers (joules per token written into the synthetic runs).
 */
import os from 'node:os'
import path from 'node:path'
import { mkdtempSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { compareResults } from '../core/compare/compare.js'
import { parseThresholds } from '../core/compare/thresholds.js'
import type { SeriesInfo } from '../core/results/schema.js'
import { makeProject, runCli } from './fixtures/project.js'
import { writeRunDir, type SyntheticExperiment } from './fixtures/run-dirs.js'

const TOKENS = 512
/** an experiment whose energy per token is `jPerToken` (TOKENS output tokens) */
const exp = (name: string, hash: string, jPerToken: number, more: Partial<SyntheticExperiment> = {}): SyntheticExperiment => ({ name, task_hash: hash.padEnd(16, '0'), energyJ: jPerToken * TOKENS, outputTokens: TOKENS, ...more })
const gate = (spec: string) => parseThresholds(spec)
const compare = (args: string[], cwd = mkdtempSync(path.join(os.tmpdir(), 'llem-compare-cwd-'))) => runCli(cwd, ['compare', ...args], { GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: '' })

describe('which experiments are paired', () => {
  it('benches of one name in two files are paired within their file: the deleted one is not the baseline of the other', () => {
    const base = writeRunDir([exp('decode', 'a1', 0.5, { file: 'benchmarks/llama.bench.ts' }), exp('decode', 'b1', 0.2, { file: 'benchmarks/qwen.bench.ts' })]).results
    // llama's bench deleted, qwen's changed (another task_hash) and 50% worse
    const cur = writeRunDir([exp('decode', 'b2', 0.3, { file: 'benchmarks/qwen.bench.ts' })]).results
    const cmp = compareResults(base, cur, gate('energy_per_token_j=10%'))
    expect(cmp.experiments).toHaveLength(1)
    const [x] = cmp.experiments
    expect([x.matched_by, x.file]).toEqual(['name', 'benchmarks/qwen.bench.ts'])
    const e = x.metrics.find((m) => m.metric === 'energy_per_token_j')!
    expect([e.baseline!.value, e.current!.value]).toEqual([0.2, 0.3])
    expect(e.regressed).toBe(true)
    expect(cmp.status).toBe('regressed')
    expect(cmp.only_in_baseline).toEqual(['decode'])
  })

  it('a bench moved to another file, alone under its name, is still paired by name', () => {
    const base = writeRunDir([exp('decode', 'a1', 0.2, { file: 'benchmarks/old.bench.ts' })]).results
    const cur = writeRunDir([exp('decode', 'a2', 0.3, { file: 'benchmarks/new.bench.ts' })]).results
    const cmp = compareResults(base, cur, gate('energy_per_token_j=10%'))
    expect(cmp.experiments.map((x) => x.matched_by)).toEqual(['name'])
    expect(cmp.status).toBe('regressed')
  })

  it('after --resume, the completed experiment is gated, not the failed result the run kept from before the fix', () => {
    const base = writeRunDir([exp('f > a', 'c0', 0.4)]).results
    // the first attempt failed (config c1), the fixed config (c2) completed as good as the baseline
    const cur = writeRunDir([exp('f > a', 'c1', 0.4, { status: 'failed' }), exp('f > a', 'c2', 0.4)]).results
    const cmp = compareResults(base, cur, gate('energy_per_token_j=5%'))
    expect(cmp.experiments.map((x) => [x.current.task_hash.slice(0, 2), x.failed])).toEqual([['c2', false]])
    expect(cmp.status).toBe('passed')
    expect(cmp.only_in_current).toEqual(['f > a'])
  })

  it("a capacity sweep's rate steps are paired by their step in the series, and a regression in one fails the gate", () => {
    const step = (n: number, rate: number | null, group = 'sweep-first-member'): SeriesInfo => ({ kind: 'capacity-sweep', group, step: n, of: 3, role: n === 1 ? 'synchronous' : 'rate', rate, concurrency: 8, cap: 8, reason: 'test' })
    const run = (rates: number[], hashes: string[], energy: number[]) =>
      writeRunDir([exp('s > cap [sweep 1/3: synchronous]', 'aa', energy[0], { bench: 's > cap', series: step(1, null) }), ...rates.map((r, i) => exp(`s > cap [sweep ${i + 2}/3: rate ${r}/s]`, hashes[i], energy[i + 1], { bench: 's > cap', series: step(i + 2, r) }))]).results
    const base = run([50.6, 82.5], ['b1', 'b2'], [0.1, 0.2, 0.3])
    const cur = run([52.3, 85.6], ['c1', 'c2'], [0.1, 0.2, 0.36])
    const cmp = compareResults(base, cur, gate('energy_per_token_j=10%'))
    expect(cmp.experiments.map((x) => x.matched_by)).toEqual(['task_hash', 'series', 'series'])
    expect(cmp.only_in_baseline).toEqual([])
    expect(cmp.only_in_current).toEqual([])
    const last = cmp.experiments[2]
    expect(last.warnings.join('\n')).toContain('rate 82.5/s in the baseline, rate 85.6/s now')
    expect(last.metrics.find((m) => m.metric === 'energy_per_token_j')!.regressed).toBe(true)
    expect(cmp.experiments[1].regressed).toBe(false)
    expect(cmp.status).toBe('regressed')
  })
})

describe('experiments the current run planned and has no result for', () => {
  it('fail the gate through the CLI: a run stopped early (--bail, a killed job) does not pass by having compared nothing', async () => {
    const base = writeRunDir([exp('decode', 'd1', 0.2), exp('prefill', 'p1', 0.1)]).runDir
    const cur = writeRunDir([exp('decode', 'd1', 0.2), exp('prefill', 'p1', 0.1, { noResult: true })]).runDir
    const r = await compare([base, cur, '--threshold', 'energy_per_token_j=5%'])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toContain('no completed result in the current run (planned, no result)')
    expect(r.stdout).toMatch(/^1 regression$/m)
    // without a threshold too: missing data never passes
    expect((await compare([base, cur])).code).toBe(1)
  })

  it('one whose config changed (a new task_hash) is paired by name from its plan, and fails the gate', async () => {
    const base = writeRunDir([exp('decode', 'd1', 0.2), exp('prefill', 'p1', 0.1)]).runDir
    const cur = writeRunDir([exp('decode', 'd1', 0.2), exp('prefill', 'p2', 0.1, { noResult: true })]).runDir
    const r = await compare([base, cur, '--threshold', 'energy_per_token_j=5%'])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/^prefill {2}matched by name/m)
    expect(r.stdout).toContain('no completed result in the current run (planned, no result)')
  })

  it('a missing repeat is counted among the repeats that did not complete', () => {
    const three = [{}, {}, {}]
    const base = writeRunDir([{ ...exp('decode', 'd1', 0.2), repeats: three }]).results
    const { results } = writeRunDir([{ ...exp('decode', 'd1', 0.2), repeats: three }])
    const cmp = compareResults(base, results.slice(0, 2), [], [{ id: results[2].experiment_id, name: results[2].experiment_name, bench: results[2].bench.full_name, task_hash: results[2].task_hash }])
    expect(cmp.experiments[0].current.repeats).toBe(3)
    expect(cmp.experiments[0].warnings).toContain('1 of 3 repeats did not complete in the current run: compared over the 2 that did')
  })

  it('with thresholds, a comparison that paired nothing fails: a wrong baseline does not pass the gate', async () => {
    const base = writeRunDir([exp('decode', 'd1', 0.2)]).runDir
    const other = writeRunDir([exp('prefill', 'p1', 0.2)]).runDir
    const r = await compare([base, other, '--threshold', 'energy_per_token_j=5%'])
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toContain("nothing was compared: no experiment of the current run pairs with one of the baseline's (1 only in the baseline, 1 only in the current run)")
    // deltas only (no threshold): nothing is gated, and nothing fails
    expect((await compare([base, other])).code).toBe(0)
  })

  it('llem bench --detach --compare is refused before anything is submitted: the gate would have nothing to read', async () => {
    const dir = makeProject({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('a', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n" })
    const r = await runCli(dir, ['bench', '--executor', 'slurm', '--detach', '--compare', 'latest', '--threshold', 'energy_per_token_j=5%'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('--compare with --detach')
  })
})

describe('how a paired metric is decided', () => {
  it('a change of exactly the limit is not past it, whatever floating point makes of it', () => {
    // the scenario's own edge: 0.7 -> 0.77 is 10.000000000000009% in binary floating point
    expect((0.77 / 0.7 - 1) * 100).toBeGreaterThan(10)
    const base = writeRunDir([exp('decode', 'd1', 0.7)]).results
    const cur = writeRunDir([exp('decode', 'd1', 0.77)]).results
    const at = (spec: string) => compareResults(base, cur, gate(spec)).experiments[0].metrics.find((m) => m.metric === 'energy_per_token_j')!.regressed
    expect(at('energy_per_token_j=10%')).toBe(false)
    expect(at('energy_per_token_j=9.99%')).toBe(true)
    const far = writeRunDir([exp('decode', 'd1', 1.0)]).results
    const abs = (spec: string) => compareResults(base, far, gate(spec)).experiments[0].metrics.find((m) => m.metric === 'energy_per_token_j')!.regressed
    expect(1.0 - 0.7).toBeGreaterThan(0.3)
    expect(abs('energy_per_token_j=0.3')).toBe(false)
    expect(abs('energy_per_token_j=0.2999')).toBe(true)
  })

  it('a gated metric measured in only some of the completed repeats says so', () => {
    const base = writeRunDir([{ ...exp('decode', 'd1', 0.2), repeats: [{}, {}, {}] }]).results
    const cur = writeRunDir([{ ...exp('decode', 'd1', 0.2), repeats: [{}, { energyJ: null }, { energyJ: null }] }]).results
    const e = compareResults(base, cur, gate('energy_per_token_j=5%')).experiments[0].metrics.find((m) => m.metric === 'energy_per_token_j')!
    expect(e.current!.n).toBe(1)
    expect(e.note).toBe('measured in 1 of the 3 completed repeats of the current run')
  })

  it('thresholds that would switch the gate off are bad input, each with its reason', () => {
    expect(() => parseThresholds('')).toThrow('--threshold is empty (or 0)')
    // what the CLI's parser makes of --threshold ""
    expect(() => parseThresholds(0 as unknown as string)).toThrow('--threshold is empty (or 0)')
    expect(() => parseThresholds(',')).toThrow('--threshold "," names no metric')
    expect(() => parseThresholds('energy_per_token_j=1e999')).toThrow('"1e999" is not a limit: a finite')
    expect(() => parseThresholds('energy_per_token_j=1e999%')).toThrow('is not a limit')
    expect(parseThresholds('energy_per_token_j=5%,')).toHaveLength(1)
  })

  it('an empty --threshold through the CLI exits 2 and says it is empty', async () => {
    const run = writeRunDir([exp('decode', 'd1', 0.2)]).runDir
    const r = await compare([run, run, '--threshold', ''])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--threshold is empty (or 0)')
  })
})
