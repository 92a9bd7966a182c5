/**
 * A capacity sweep interrupted (Ctrl-C) in its third step: the interrupted step decides nothing (no
 * fourth step is made from it, so the manifest holds no member that never ran), `llem list --run`
 * counts the members that ran (two done, one interrupted), and `--resume` goes on from the
 * interrupted step without calling the series' own members "kept", to a sweep whose every step
 * completed. The server is a scripted one with 4 slots (test/fixtures/slot-server.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, makeProject, runCli, TEST_CACHE } from './fixtures/project.js'
import { startSlotServer, type SlotServer } from './fixtures/slot-server.js'

let server: SlotServer
beforeAll(async () => {
  server = await startSlotServer({ slots: 4, prefillMs: 5, gapMs: 5 })
})
afterAll(() => server.close())

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 25))
  }
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))

describe('a capacity sweep interrupted in its third step', () => {
  it('makes no step from the interrupted one, lists what ran, and resumes from it to the end', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 50 } }\n`,
      'benchmarks/sweep.bench.ts': `import { bench } from 'llem'
bench('slots', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'slots', dataset: { prompts: ['a b c'] }, generation: { maxTokens: 10 },
  load: { profile: 'sweep', points: 2, maxRateFactor: 1, concurrency: 8, requests: 100000, duration: 1, saturation: { windowSec: 0.5 } } })
`,
    })
    const child = spawn(process.execPath, [BIN, 'bench'], { cwd: dir, detached: true, env: { ...process.env, LLEM_CACHE_DIR: TEST_CACHE, CI: 'true', NO_COLOR: '1' } })
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (out += d))
    const root = path.join(dir, 'llem-results')
    const runDir = () => path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    const aggregated = () => (existsSync(root) && readdirSync(root).some((d) => !d.startsWith('.')) && existsSync(path.join(runDir(), 'aggregated')) ? readdirSync(path.join(runDir(), 'aggregated')) : [])
    // steps 1 and 2 stored: step 3 (1 s of load) is starting; Ctrl-C inside it
    const ended = exited(child)
    let code: number | null | undefined
    void ended.then((c) => (code = c))
    await until(() => aggregated().length === 2 || code !== undefined)
    expect(code, out).toBeUndefined()
    await new Promise((r) => setTimeout(r, 400))
    process.kill(-child.pid!, 'SIGINT')
    expect(await ended, out).toBe(130)

    const manifest = JSON.parse(readFileSync(path.join(runDir(), 'manifest.json'), 'utf8'))
    const first = manifest.experiments[0].id as string
    const statusOf = (id: string) => JSON.parse(readFileSync(path.join(runDir(), 'aggregated', `${id}.json`), 'utf8')).status
    expect(statusOf(`${first}-s3`)).toBe('interrupted')
    // nothing made from the interrupted step: every member in the manifest has a result
    expect(manifest.experiments.map((e: { id: string }) => e.id)).toEqual([first, `${first}-s2`, `${first}-s3`])

    const list = await runCli(dir, ['list', '--run', 'latest'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/^2 done, 1 failed or interrupted, 0 missing$/m)

    const resumed = await runCli(dir, ['bench', '--resume', 'latest'])
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0)
    expect(resumed.stderr).not.toContain('kept as')
    const steps = readdirSync(path.join(runDir(), 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir(), 'aggregated', f), 'utf8')))
    // 1 in flight, max throughput, two rates: all completed, step 3 run again
    expect(steps.map((a) => `${a.series.step}:${a.status}`).sort()).toEqual(['1:completed', '2:completed', '3:completed', '4:completed'])
    const done = await runCli(dir, ['list', '--run', 'latest'])
    expect(done.stdout).toMatch(/^4 done, 0 failed or interrupted, 0 missing$/m)
  }, 120_000)
})
