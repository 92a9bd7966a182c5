/**
 * `llem bench | head -1` and friends: a reader that goes away closes llem's stdout, and the next write
 * fails with EPIPE. That must stop console output, never the command: the run goes on to the end,
 * every result and results.json are written, the lock is released and the exit code is the run's.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, makeProject, TEST_CACHE } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

/**
 * `llem <args> | head -1` as a shell runs it: a real pipe (64 KiB), closed when head has its line.
 * Resolves with llem's own exit status (bash's PIPESTATUS), head's line and llem's stderr.
 */
function runIntoHead(cwd: string, args: string[]): Promise<{ code: number; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', '"$0" "$@" | head -1; exit "${PIPESTATUS[0]}"', process.execPath, BIN, ...args], { cwd, env: { ...process.env, LLEM_CACHE_DIR: TEST_CACHE, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let first = ''
    let stderr = ''
    child.stdout.on('data', (d) => (first += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, first, stderr })
    })
  })
}

let server: SseServer
beforeAll(async () => {
  // slow enough that the second experiment is still running when the pipe is closed
  server = await startSseServer(() => ({ tokens: 6, gapMs: 40 }))
})
afterAll(() => server.close())

const CONFIG = `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 } }\n`

describe('a closed stdout', () => {
  it('llem bench | head -1: the run finishes, its results are written and the lock released', async () => {
    const backend = `backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ['p1', 'p2', 'p3'] }, generation: { maxTokens: 6 }`
    const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('a', { ${backend} })\nbench('b', { ${backend} })\n` })
    const r = await runIntoHead(dir, ['bench', '--reporter', 'console', '--reporter', 'json', '--max-parallel', '1'])
    expect(r.first.split('\n')).toHaveLength(2)
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/)
    expect(r.code, r.stderr).toBe(0)
    const root = path.join(dir, 'llem-results')
    expect(existsSync(path.join(root, '.llem.lock'))).toBe(false)
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    expect(readdirSync(path.join(run, 'aggregated'))).toHaveLength(2)
    const json = JSON.parse(readFileSync(path.join(run, 'results.json'), 'utf8'))
    expect(json.results.map((x: { status: string }) => x.status)).toEqual(['completed', 'completed'])
  }, 60_000)

  it('llem schema | head -1 exits 0 without an EPIPE crash', async () => {
    // the schemas are ~150 KB: more than the pipe holds once head has gone
    const r = await runIntoHead(makeProject({}), ['schema'])
    expect(r.first).toBe('{\n')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  }, 30_000)

  it('llem list --json | head -1 exits 0 without an EPIPE crash', async () => {
    // 300 experiments: far more JSON than a pipe buffers (64 KiB), so the write meets the closed pipe
    const points = Array.from({ length: 300 }, (_, i) => i + 1)
    const dir = makeProject({ 'llem.config.ts': CONFIG, 'benchmarks/s.bench.ts': `import { bench } from 'llem'\nbench('s', { backend: { name: 'openai', baseURL: 'http://127.0.0.1:9/v1' }, model: 'm', dataset: { prompts: ['p'] }, sweep: { 'load.concurrency': ${JSON.stringify(points)} } })\n` })
    const r = await runIntoHead(dir, ['list', '--json'])
    expect(r.first).toBe('{\n')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  }, 30_000)
})
