/**
 * The SSE benchmark's client thread counts: `--threads` takes positive integers or `auto` and names
 * the flag when given anything else (exit 2, before any benchmark runs). The client driver runs its
 * streams on that many client threads (load.clientThreads): on two, against a scripted server, it
 * ingests every chunk the server sent; it refuses a count that is not one, and threads for the bare
 * node:net reader, which has none.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from './fixtures/project.js'
import { startSseServer } from './fixtures/sse-server.js'

const JITI = path.join(REPO, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs')
const run = (...args: string[]) => spawnSync(process.execPath, [JITI, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 })
const driver = path.join('benchmarks', 'perf', 'sse-client-driver.ts')

describe('SSE benchmark thread counts', () => {
  it('--threads with a count that is not one is bad input, named', () => {
    for (const bad of ['0', '1,two', '']) {
      const r = run(path.join('benchmarks', 'perf', 'run.ts'), 'sse', '--threads', bad)
      expect(r.status).toBe(2)
      expect(r.stderr).toContain(`--threads ${bad}:`)
      // nothing was measured
      expect(r.stdout).toBe('')
    }
  })

  it('the driver refuses a thread count that is not a positive integer, and threads for the bare reader', () => {
    for (const [mode, threads] of [['cadence', 0], ['cadence', 1.5], ['bare', 2]] as const) {
      const r = run(driver, JSON.stringify({ mode, url: 'http://127.0.0.1:9/v1', streams: 1, tokens: 1, threads }))
      expect(r.status).toBe(2)
      expect(r.stderr).toContain(`threads ${threads}:`)
    }
  })

  it('on two client threads the driver ingests every chunk the server sent', async () => {
    // a child process runs the driver: spawnSync would hold this thread, and the server with it
    const server = await startSseServer((body) => ({ tokens: Number(body.max_tokens) }))
    try {
      const { spawn } = await import('node:child_process')
      const child = spawn(process.execPath, [JITI, driver, JSON.stringify({ mode: 'capacity', url: server.url, streams: 8, tokens: 50, runs: 2, threads: 2 })], { cwd: REPO })
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      const code = await new Promise((r) => child.on('exit', r))
      expect(code).toBe(0)
      const runs = JSON.parse(out) as { chunks: number }[]
      expect(runs.map((x) => x.chunks)).toEqual([400, 400])
    } finally {
      await server.close()
    }
  })
})
