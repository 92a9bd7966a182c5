/**
 * What the reports say the run was agrees with its exit code: a reporter that failed during the run
 * (here in onExperimentEnd) fails the run, and results.json, the console and the other reporters'
 * onRunEnd say "failed", not "passed", beside exit 1. The experiment itself completed and is kept.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

let server: SseServer
beforeAll(async () => {
  server = await startSseServer(() => ({ tokens: 4 }))
})
afterAll(() => server?.close())

describe('the status the reports give', () => {
  it('is failed when a reporter failed before the run ended, as the exit code is', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default {
  probes: ['cpu-estimate'],
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 },
  reporters: ['console', 'json', './broken.ts', './seen.ts'],
  outputFile: { json: 'out/results.json' },
}
`,
      'broken.ts': `export default () => ({ onExperimentEnd() { throw new Error('the dashboard is down') } })\n`,
      'seen.ts': `import { writeFileSync } from 'node:fs'\nexport default () => ({ onRunEnd(s) { writeFileSync('seen-status.txt', s.status) } })\n`,
      'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('a', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ['p1', 'p2'] }, generation: { maxTokens: 4 } })\n`,
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(1)
    expect(r.stderr).toContain('the dashboard is down')
    const report = JSON.parse(readFileSync(path.join(dir, 'out', 'results.json'), 'utf8'))
    expect(report.status).toBe('failed')
    expect(readFileSync(path.join(dir, 'seen-status.txt'), 'utf8')).toBe('failed')
    // the measurement is whole: the experiment completed and its results are written
    expect(report.results.map((x: { status: string }) => x.status)).toEqual(['completed'])
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    expect(readdirSync(path.join(run, 'aggregated')).length).toBe(1)
  }, 60_000)
})
