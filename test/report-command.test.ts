/**
 * `llem report`: a real run's reports rebuilt from its raw results alone (aggregated/ and results.json
 * deleted), identical to what the live run wrote; a custom .ts reporter sees the same events in the same
 * order as it did live; a run directory that is missing, foreign or corrupt is bad input, named.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { writeRunDir } from './fixtures/run-dirs.js'

// an object reporter (so its name is a key for --outputFile.events) logging every event it is sent
const EVENTS_REPORTER = `import { writeFileSync } from 'node:fs'
import type { Reporter, ReporterContext } from 'llem'
const log: string[] = []
let file: string | null = null
const reporter: Reporter = {
  name: 'events',
  onInit(ctx: ReporterContext) { file = ctx.outputFile; log.push('init ' + ctx.runId + ' ' + ctx.runDir) },
  onPlan(xs) { log.push('plan ' + JSON.stringify(xs.filter((x) => x.mode === 'run')) + ' ' + JSON.stringify(xs.filter((x) => x.mode === 'skip').map((x) => [x.id, x.name, x.task_hash]))) },
  onExperimentStart(x) { log.push('start ' + JSON.stringify(x)) },
  onExperimentEnd(x, r) { log.push('end ' + x.id + ' ' + r.status + ' ' + r.total_output_tokens + ' ' + r.total_energy_j + ' ' + JSON.stringify(r.latency_stats)) },
  onRunEnd(s) { log.push('runEnd ' + s.runId + ' ' + s.status + ' ' + s.results.map((r) => r.experiment_id).join(',') + ' ' + JSON.stringify(s.repeats) + ' skipped ' + s.skipped.length); writeFileSync(file!, log.join('\\n') + '\\n') },
}
export default reporter
`

const CONFIG = `export default {
  measurement: { baseline: { seconds: 0.3 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
  reporters: ['console', 'json', 'csv', ['./reporters/events.ts', { outputFile: 'live-events.log' }]],
}
`
const BENCH = `import { bench } from 'llem'
bench('greedy', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 4 }, repeat: 2 })
bench.skip('later', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })
`

describe('llem report', () => {
  let dir = ''
  let runDir = ''
  let liveJson: { run_id: string; status: string; results: unknown[] }
  let liveCsv = ''

  beforeAll(async () => {
    dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/r.bench.ts': BENCH, 'reporters/events.ts': EVENTS_REPORTER })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr).toBe(0)
    const results = path.join(dir, 'llem-results')
    runDir = path.join(results, readdirSync(results).filter((d) => !d.startsWith('.'))[0])
    liveJson = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'))
    liveCsv = readFileSync(path.join(runDir, 'results.csv'), 'utf8')
    expect(liveJson.results).toHaveLength(2)
  })

  it('rebuilds results.json and results.csv from raw/ alone, identical to the live run', async () => {
    rmSync(path.join(runDir, 'aggregated'), { recursive: true })
    rmSync(path.join(runDir, 'results.json'))
    rmSync(path.join(runDir, 'results.csv'))
    const r = await runCli(dir, ['report', runDir, '--reporter', 'json', '--reporter', 'csv'])
    expect(r.code, r.stderr).toBe(0)
    const rebuilt = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'))
    expect(rebuilt.run_id).toBe(liveJson.run_id)
    expect(rebuilt.status).toBe('passed')
    expect(rebuilt.results).toEqual(liveJson.results)
    expect(readFileSync(path.join(runDir, 'results.csv'), 'utf8')).toBe(liveCsv)
    // a report is derived output: the run's own files are not rewritten
    expect(existsSync(path.join(runDir, 'aggregated'))).toBe(false)
  })

  it('a custom .ts reporter gets the same events in the same order as it did live (--outputFile.<name>)', async () => {
    const r = await runCli(dir, ['report', runDir, '--reporter', './reporters/events.ts', '--outputFile.events', 'replay-events.log'])
    expect(r.code, r.stderr).toBe(0)
    const live = readFileSync(path.join(dir, 'live-events.log'), 'utf8')
    const replay = readFileSync(path.join(dir, 'replay-events.log'), 'utf8')
    expect(live.split('\n').map((l) => l.split(' ')[0])).toEqual(['init', 'plan', 'start', 'end', 'start', 'end', 'runEnd', ''])
    expect(replay).toBe(live)
  })

  it("a run id or 'latest' is looked up in the results directory; the configured reporters are the default", async () => {
    const r = await runCli(dir, ['report', 'latest'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^2 passed, 0 failed, 1 skipped$/m)
    expect(r.stdout).toContain('Repeats: mean [95% CI, Student t]')
    const byId = await runCli(dir, ['report', path.basename(runDir), '--reporter', 'json', '--outputFile', 'out/again.json'])
    expect(byId.code, byId.stderr).toBe(0)
    expect(JSON.parse(readFileSync(path.join(dir, 'out', 'again.json'), 'utf8')).results).toEqual(liveJson.results)
  })
})

describe('llem report: bad input exits 2 and names the file', () => {
  const cwd = makeProject({})
  const report = (args: string[]) => runCli(cwd, ['report', ...args])

  it('missing, not a run, a results file, an unknown option', async () => {
    const { runDir } = writeRunDir([{ name: 'decode', task_hash: 'aaaa1111bbbb2222', energyJ: 2.56 }])
    const notRun = path.join(cwd, 'empty')
    mkdirSync(notRun)
    const resultsFile = path.join(cwd, 'results.json')
    writeFileSync(resultsFile, JSON.stringify({ run_id: 'x', results: [] }))
    const cases: Array<[string[], string]> = [
      [[path.join(cwd, 'nope')], `no such run directory or results file: ${path.join(cwd, 'nope')}`],
      [['2020-no-such-run'], `no such run directory or results file: ${path.join(cwd, '2020-no-such-run')} (nor a results directory ${path.join(cwd, 'llem-results')}`],
      [[notRun], `${notRun} is not a llem run directory: ${path.join(notRun, 'manifest.json')} is missing`],
      [[resultsFile], `${resultsFile}: llem report rebuilds from a run directory's raw results`],
      [[runDir, '--load.concurrency', '2'], 'llem report takes no option --load.concurrency'],
      [[runDir, '--reporter', 'jsn'], 'unknown reporter "jsn"'],
    ]
    for (const [args, message] of cases) {
      const r = await report(args)
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2)
      expect(r.stderr).toContain(message)
    }
  })

  it('a corrupt manifest or raw result', async () => {
    const { runDir } = writeRunDir([{ name: 'decode', task_hash: 'aaaa1111bbbb2222', energyJ: 2.56 }])
    const raw = path.join(runDir, 'raw', 'decode-aaaa1111', 'process_0.json')
    writeFileSync(raw, JSON.stringify({ ...JSON.parse(readFileSync(raw, 'utf8')), inference_metrics: { output_tokens: 'many' } }))
    const r = await report([runDir, '--reporter', 'json'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${raw}: not a llem raw result: inference_metrics.`)
    expect(existsSync(path.join(runDir, 'results.json'))).toBe(false)
    const manifest = path.join(runDir, 'manifest.json')
    writeFileSync(manifest, '{')
    const m = await report([runDir])
    expect(m.code).toBe(2)
    expect(m.stderr).toContain(`${manifest}: corrupt JSON`)
  })
})
