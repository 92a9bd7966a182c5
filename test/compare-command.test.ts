/**
 * `llem compare`: exit 0 / 1 / 2, relative and absolute thresholds, which way is better per metric,
 * matching by task_hash then by name, bootstrap CIs and whether they overlap, --json and --markdown,
 * run ids and results.json files as inputs, GitHub annotations. Synthetic run directories (real
 * aggregation, real layout) keep it fast; test/bench-compare-e2e.test.ts compares real runs.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { compareResults } from '../core/compare/compare.js'
import { parseThresholds } from '../core/compare/thresholds.js'
import { runCli } from './fixtures/project.js'
import { writeRunDir, type SyntheticExperiment } from './fixtures/run-dirs.js'

const DECODE: SyntheticExperiment = { name: 'decode', task_hash: 'aaaa1111bbbb2222', energyJ: 2.56 }
const PREFILL: SyntheticExperiment = { name: 'prefill', task_hash: 'cccc3333dddd4444', energyJ: 1 }
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'llem-compare-cwd-'))
// a test run inside GitHub Actions must not see its own annotations
const compare = (args: string[], env: Record<string, string> = {}, cwd = tmp()) => runCli(cwd, ['compare', ...args], { GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: '', ...env })
const json = (stdout: string) => JSON.parse(stdout) as ReturnType<typeof compareResults> & { baseline: string; current: string }
const row = (stdout: string, metric: string) => stdout.split('\n').find((l) => l.trim().startsWith(metric)) ?? ''

describe('llem compare: exit codes and thresholds', () => {
  const base = writeRunDir([DECODE, PREFILL]).runDir

  it('identical runs: every experiment matched by task_hash, no regressions, exit 0', async () => {
    const cur = writeRunDir([DECODE, PREFILL]).runDir
    const r = await compare([base, cur, '--threshold', 'energy_per_token_j=5%'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('2 compared (2 by task_hash, 0 by name), 0 only in the baseline, 0 only in the current run')
    expect(r.stdout).toMatch(/^decode {2}matched by task_hash aaaa1111$/m)
    expect(row(r.stdout, 'energy_per_token_j')).toMatch(/0\.005 +0\.005 +±0 \(0\.0%\) +same, ok \(limit 5%\)/)
    expect(r.stdout).toMatch(/^no regressions$/m)
  })

  it('energy per token 10% worse: past a 5% limit exits 1, inside a 15% limit exits 0', async () => {
    const cur = writeRunDir([{ ...DECODE, energyJ: 2.816 }, PREFILL]).runDir
    const bad = await compare([base, cur, '--threshold', 'energy_per_token_j=5%'])
    expect(bad.code, bad.stderr).toBe(1)
    expect(row(bad.stdout, 'energy_per_token_j')).toMatch(/0\.005 +0\.0055 +\+0\.0005 \(\+10\.0%\) +worse, REGRESSED \(limit 5%\)/)
    expect(bad.stdout).toMatch(/^1 regression$/m)
    const ok = await compare([base, cur, '--threshold=energy_per_token_j=15%'])
    expect(ok.code, ok.stderr).toBe(0)
    expect(row(ok.stdout, 'energy_per_token_j')).toContain('worse, ok (limit 15%)')
  })

  it('an absolute limit is in the metric unit: 0.0005 J/token worse fails 0.0004 and passes 0.0006', async () => {
    const cur = writeRunDir([{ ...DECODE, energyJ: 2.816 }, PREFILL]).runDir
    expect((await compare([base, cur, '--threshold', 'energy_per_token_j=0.0004'])).code).toBe(1)
    const ok = await compare([base, cur, '--threshold', 'energy_per_token_j=0.0006'])
    expect(ok.code).toBe(0)
    expect(row(ok.stdout, 'energy_per_token_j')).toContain('ok (limit 0.0006 J/token)')
  })

  it('direction per metric: lower throughput and higher TTFT regress, the opposite moves are improvements', async () => {
    const slower = writeRunDir([{ ...DECODE, inferenceSec: 11, ttftMs: [50, 51, 52] }, PREFILL]).runDir
    const r = await compare([base, slower, '--threshold', 'output_tokens_per_second=5%', '--threshold', 'ttft_ms_p50=10%'])
    expect(r.code).toBe(1)
    expect(row(r.stdout, 'output_tokens_per_second')).toMatch(/51\.2 +46\.55 +-4\.655 \(-9\.1%\) +worse, REGRESSED \(limit 5%\)/)
    expect(row(r.stdout, 'ttft_ms_p50')).toMatch(/41 +51 +\+10 \(\+24\.4%\) +worse, REGRESSED \(limit 10%\)/)
    expect(r.stdout).toMatch(/^2 regressions$/m)
    const faster = writeRunDir([{ ...DECODE, inferenceSec: 9, ttftMs: [30, 31, 32] }, PREFILL]).runDir
    const f = await compare([base, faster, '--threshold', 'output_tokens_per_second=5%,ttft_ms_p50=10%'])
    expect(f.code, f.stdout).toBe(0)
    expect(row(f.stdout, 'output_tokens_per_second')).toMatch(/\(\+11\.1%\) +better, ok \(limit 5%\)$/)
    expect(row(f.stdout, 'ttft_ms_p50')).toMatch(/\(-24\.4%\) +better, ok \(limit 10%\)$/)
  })

  it('without --threshold nothing regresses, but an experiment that failed now still fails the comparison', async () => {
    const worse = writeRunDir([{ ...DECODE, energyJ: 10 }, PREFILL]).runDir
    const r = await compare([base, worse])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('no --threshold: deltas only')
    const failed = writeRunDir([{ ...DECODE, status: 'failed' }, PREFILL]).runDir
    const f = await compare([base, failed])
    expect(f.code).toBe(1)
    expect(f.stdout).toContain('! no completed result in the current run (failed: WORKER_FAILED worker process failed: out of memory)')
  })

  it('a gated metric measured in the baseline but not now regresses; one measured only now cannot be gated', async () => {
    const lost = writeRunDir([{ ...DECODE, energyJ: null }, PREFILL]).runDir
    const r = await compare([base, lost, '--threshold', 'energy_per_token_j=5%'])
    expect(r.code).toBe(1)
    expect(row(r.stdout, 'energy_per_token_j')).toMatch(/0\.005 +n\/a +n\/a +REGRESSED \(limit 5%\), not measured in the current run/)
    const r2 = await compare([lost, base, '--threshold', 'energy_per_token_j=5%'])
    expect(r2.code).toBe(0)
    expect(row(r2.stdout, 'energy_per_token_j')).toContain('ok (limit 5%), not measured in the baseline: nothing to gate against')
  })

  it('a different energy method is called out', async () => {
    const counter = writeRunDir([{ ...DECODE, method: 'counter' }, PREFILL]).runDir
    const r = await compare([base, counter])
    expect(r.stdout).toContain('! energy measured differently (estimate in the baseline, counter now)')
  })
})

describe('llem compare: matching', () => {
  it('by task_hash, then by name (a changed config), with the unmatched ones listed', async () => {
    const base = writeRunDir([DECODE, PREFILL, { name: 'old', task_hash: 'eeee5555ffff6666', energyJ: 1 }]).runDir
    const cur = writeRunDir([
      { ...DECODE, task_hash: '9999888877776666' },
      { ...PREFILL, name: 'prefill renamed' },
      { name: 'sampling', task_hash: '1234123412341234', energyJ: 1 },
    ]).runDir
    const r = await compare([base, cur, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const out = json(r.stdout)
    expect(out.experiments.map((x) => [x.name, x.matched_by])).toEqual([
      ['decode', 'name'],
      ['prefill renamed', 'task_hash'],
    ])
    expect(out.experiments[0].warnings).toContain('matched by name: the configuration changed (task_hash aaaa1111 -> 99998888)')
    expect(out.only_in_baseline).toEqual(['old'])
    expect(out.only_in_current).toEqual(['sampling'])
    const text = await compare([base, cur])
    expect(text.stdout).toContain('2 compared (1 by task_hash, 1 by name), 1 only in the baseline, 1 only in the current run')
    expect(text.stdout).toContain('only in the baseline (not compared): old')
  })

  it('the same config in two benches is matched bench to bench, not crosswise', () => {
    const a = writeRunDir([{ ...DECODE, bench: 'suite a' }, { ...DECODE, bench: 'suite b', energyJ: 5.12 }]).results
    const b = writeRunDir([{ ...DECODE, bench: 'suite b', energyJ: 5.12 }, { ...DECODE, bench: 'suite a' }]).results
    const cmp = compareResults(a, b, parseThresholds('energy_per_token_j=1%'))
    expect(cmp.experiments.map((x) => [x.bench, x.matched_by, x.metrics[0].delta])).toEqual([
      ['suite b', 'task_hash', 0],
      ['suite a', 'task_hash', 0],
    ])
  })
})

describe('llem compare: repeats and confidence intervals', () => {
  const repeats = (joules: number[]) => joules.map((energyJ) => ({ energyJ }))

  it("a change beyond the noise is significant (Welch's t-test), one within it is not; the JSON carries both intervals", async () => {
    const base = writeRunDir([{ ...DECODE, repeats: repeats([2.5, 2.56, 2.62]) }]).runDir
    const apart = writeRunDir([{ ...DECODE, repeats: repeats([3.0, 3.07, 3.1]) }]).runDir
    const r = await compare([base, apart, '--json'])
    const e = json(r.stdout).experiments[0]
    expect(e.baseline.completed).toBe(3)
    const energy = e.metrics.find((m) => m.metric === 'energy_per_token_j')!
    expect(energy.baseline!.n).toBe(3)
    expect(energy.baseline!.value).toBeCloseTo(2.56 / 512, 12)
    // Student t: s = 0.06, s/√3 = 0.0346410, t(0.975, 2) = 4.302653 -> 2.56 ± 0.149049 J over 512 tokens
    expect(energy.baseline!.ci_lower!).toBeCloseTo((2.56 - 0.149049) / 512, 8)
    expect(energy.baseline!.ci_upper!).toBeCloseTo((2.56 + 0.149049) / 512, 8)
    expect(energy.current!.ci_lower!).toBeGreaterThan(energy.baseline!.ci_upper!)
    // Welch: t = 0.49667 / √(0.0012 + 0.00087778) = 10.9 on 3.9 df
    expect(energy.p_value!).toBeLessThan(0.001)
    expect(energy.significant).toBe(true)
    const text = await compare([base, apart])
    expect(text.stdout).toContain('matched by task_hash aaaa1111, 3 vs 3 completed repeats')
    expect(row(text.stdout, 'energy_per_token_j')).toMatch(/0\.005 \[0\.00\d+, 0\.00\d+\] +0\.005\d* \[0\.00\d+, 0\.00\d+\] .* worse, significant$/)

    const overlapping = writeRunDir([{ ...DECODE, repeats: repeats([2.4, 2.7, 2.55]) }]).runDir
    const o = json((await compare([base, overlapping, '--json'])).stdout).experiments[0].metrics.find((m) => m.metric === 'energy_per_token_j')!
    expect(o.current!.ci_lower!).toBeLessThan(o.baseline!.ci_upper!)
    expect(o.p_value!).toBeGreaterThan(0.5)
    expect(o.significant).toBe(false)
  })

  it('identical repeats are the same, not a significant change of a few ulps; a repeat that failed is said', () => {
    const same = repeats([2.56, 2.56, 2.56])
    const cmp = compareResults(writeRunDir([{ ...DECODE, repeats: same }]).results, writeRunDir([{ ...DECODE, repeats: [...same, { status: 'failed' }] }]).results, [])
    const x = cmp.experiments[0]
    for (const m of x.metrics.filter((d) => d.baseline && d.current)) expect([m.metric, m.change, m.delta, m.significant]).toEqual([m.metric, 'same', 0, false])
    expect(x.warnings).toEqual(['1 of 4 repeats did not complete in the current run: compared over the 3 that did'])
    expect(x.failed).toBe(false)
  })

  it('without repeats there is no interval and no significance claim', () => {
    const cmp = compareResults(writeRunDir([DECODE]).results, writeRunDir([{ ...DECODE, energyJ: 3 }]).results, [])
    const energy = cmp.experiments[0].metrics[0]
    expect(energy.baseline).toEqual({ value: 0.005, n: 1, ci_lower: null, ci_upper: null })
    expect(energy.significant).toBeNull()
  })
})

describe('llem compare: inputs and outputs', () => {
  it('bad input exits 2 with the reason: threshold syntax, unknown metric (with a suggestion), missing or foreign directories', async () => {
    const { runDir } = writeRunDir([DECODE])
    const cases: Array<[string[], string]> = [
      [[runDir, runDir, '--threshold', 'energy_per_token_j'], '--threshold: "energy_per_token_j" is not metric=limit'],
      [[runDir, runDir, '--threshold', 'energy_per_tokn_j=5%'], 'unknown metric "energy_per_tokn_j" (did you mean "energy_per_token_j"?)'],
      [[runDir, runDir, '--threshold', 'ttft_ms_p50=-5%'], 'ttft_ms_p50: "-5%" is not a limit'],
      [[runDir, runDir, '--treshold', 'ttft_ms_p50=5%'], 'llem compare has no option --treshold (did you mean --threshold?)'],
      [[runDir, path.join(runDir, 'nope')], `no such run directory or results file: ${path.join(runDir, 'nope')}`],
      [[runDir, path.join(runDir, 'raw')], `${path.join(runDir, 'raw')} is not a llem run directory: ${path.join(runDir, 'raw', 'manifest.json')} is missing`],
      [[runDir, path.dirname(runDir)], `${path.dirname(runDir)} is a results directory, not a run: name one of its runs (the latest is ${runDir})`],
    ]
    for (const [args, message] of cases) {
      const r = await compare(args)
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2)
      expect(r.stderr).toContain(message)
      expect(r.stderr).not.toContain('    at ')
    }
  })

  it('a corrupt raw file is named', async () => {
    const { runDir } = writeRunDir([DECODE])
    const raw = path.join(runDir, 'raw', 'decode-aaaa1111', 'process_0.json')
    writeFileSync(raw, '{"half')
    const r = await compare([runDir, runDir])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${raw}: corrupt JSON`)
    writeFileSync(raw, JSON.stringify({ ...JSON.parse(readFileSync(path.join(runDir, 'aggregated', 'decode-aaaa1111.json'), 'utf8')).process_results[0], status: 'done' }))
    const r2 = await compare([runDir, runDir])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain(`${raw}: not a llem raw result: status:`)
  })

  it("a results.json (the json reporter's file) works as either side, and a broken one is named with the place", async () => {
    const { results } = writeRunDir([DECODE, PREFILL], { runId: 'base-run' })
    const dir = tmp()
    const file = path.join(dir, 'baseline.json')
    writeFileSync(file, JSON.stringify({ schema_version: '1.0', llem_version: '0.1.0', run_id: 'base-run', status: 'passed', duration_ms: 1, results }))
    const cur = writeRunDir([{ ...DECODE, energyJ: 2.816 }, PREFILL]).runDir
    const r = await compare([file, cur, '--threshold', 'energy_per_token_j=5%'], {}, dir)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('baseline baseline.json (run base-run, 2 results)')
    writeFileSync(file, JSON.stringify({ run_id: 'x', results: [{ ...results[0], status: 'done' }] }))
    const bad = await compare([file, cur], {}, dir)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`${file}: not a llem results file: results.0.status:`)
  })

  it("run ids (and 'latest') are looked up in the project's results directory", async () => {
    const dir = tmp()
    writeFileSync(path.join(dir, 'llem.config.json'), JSON.stringify({ resultsDir: 'out' }))
    mkdirSync(path.join(dir, 'out'))
    writeRunDir([DECODE], { root: path.join(dir, 'out'), runId: '2025-01-01T00-00-00-000-aaaaaa' })
    writeRunDir([{ ...DECODE, energyJ: 2.816 }], { root: path.join(dir, 'out'), runId: '2025-01-02T00-00-00-000-bbbbbb' })
    const r = await compare(['2025-01-01T00-00-00-000-aaaaaa', 'latest', '--threshold', 'energy_per_token_j=5%'], {}, dir)
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toContain(`current  ${path.join('out', '2025-01-02T00-00-00-000-bbbbbb')} (1 result)`)
    const missing = await compare(['2024-nope', 'latest'], {}, dir)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`no run "2024-nope" in ${path.join(dir, 'out')}`)
  })

  it('--markdown prints a table for a job summary', async () => {
    const base = writeRunDir([DECODE]).runDir
    const cur = writeRunDir([{ ...DECODE, energyJ: 2.816 }]).runDir
    const r = await compare([base, cur, '--markdown', '--threshold', 'energy_per_token_j=5%'])
    expect(r.code).toBe(1)
    expect(r.stdout.startsWith('### llem compare: ❌ 1 regression\n')).toBe(true)
    expect(r.stdout).toContain('| decode | energy_per_token_j | 0.005 | 0.0055 | +0.0005 (+10.0%) | ❌ worse, REGRESSED (limit 5%) |')
  })

  it('in GitHub Actions: an ::error annotation per regression and the table appended to the job summary', async () => {
    const base = writeRunDir([DECODE, PREFILL]).runDir
    const cur = writeRunDir([{ ...DECODE, energyJ: 2.816 }, PREFILL]).runDir
    const cwd = tmp()
    const summary = path.join(cwd, 'summary.md')
    writeFileSync(summary, '# earlier step\n')
    // pinned to the bench's line, relative to the checkout
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: cwd }
    const annotations = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::'))
    const r = await compare([base, cur, '--threshold', 'energy_per_token_j=5%'], env, cwd)
    expect(r.code).toBe(1)
    expect(annotations(r.stdout)).toEqual(['::error file=benches/tiny.bench.ts,line=4,title=llem regression%3A energy_per_token_j::decode: energy_per_token_j 0.005 J/token -> 0.0055 J/token (+10.0%25, threshold 5%25)'])
    const md = readFileSync(summary, 'utf8')
    expect(md.startsWith('# earlier step\n### llem compare: ❌ 1 regression')).toBe(true)
    const abs = await compare([base, cur, '--threshold', 'energy_per_token_j=0.0004'], env, cwd)
    expect(annotations(abs.stdout)).toEqual(['::error file=benches/tiny.bench.ts,line=4,title=llem regression%3A energy_per_token_j::decode: energy_per_token_j 0.005 J/token -> 0.0055 J/token, threshold 0.0004 J/token'])
    const failed = writeRunDir([{ ...DECODE, status: 'failed' }, PREFILL]).runDir
    const f = await compare([base, failed], env, cwd)
    expect(annotations(f.stdout)).toEqual(['::error file=benches/tiny.bench.ts,line=4,title=llem regression::decode: no completed result in the current run (failed: WORKER_FAILED worker process failed: out of memory)'])
    // with --json, stdout stays pure JSON: annotations go to stderr
    const j = await compare([base, cur, '--threshold', 'energy_per_token_j=5%', '--json'], env, cwd)
    expect(json(j.stdout).status).toBe('regressed')
    expect(j.stderr).toContain('::error file=benches/tiny.bench.ts,line=4,title=llem regression%3A energy_per_token_j::decode')
    // outside Actions: no annotations at all
    expect(annotations((await compare([base, cur, '--threshold', 'energy_per_token_j=5%'], { GITHUB_STEP_SUMMARY: summary }, cwd)).stdout)).toEqual([])
  })
})

describe('parseThresholds', () => {
  it('comma lists and repeated flags; a later entry for a metric wins', () => {
    const t = parseThresholds(['energy_per_token_j=5%,ttft_ms_p50=10', ' energy_per_token_j = 2.5% '])
    expect(t).toEqual([
      { metric: 'energy_per_token_j', kind: 'relative', value: 2.5, text: 'energy_per_token_j=2.5%' },
      { metric: 'ttft_ms_p50', kind: 'absolute', value: 10, text: 'ttft_ms_p50=10' },
    ])
  })
})
