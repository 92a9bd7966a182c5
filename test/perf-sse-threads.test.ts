/**
 * The SSE benchmark's client thread counts: `--threads` takes positive integers or `auto` and names
 * the flag when given anything else (exit 2, before any benchmark runs), and the client driver refuses
 * a count other than 1, since llem's streaming client runs on one event loop: a figure for 2 threads
 * would be a 1-thread figure under another name.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from './fixtures/project.js'

const JITI = path.join(REPO, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs')
const run = (...args: string[]) => spawnSync(process.execPath, [JITI, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 })

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

  it('the driver measures one thread only', () => {
    const r = run(path.join('benchmarks', 'perf', 'sse-client-driver.ts'), JSON.stringify({ mode: 'cadence', url: 'http://127.0.0.1:9/v1', streams: 1, tokens: 1, threads: 2 }))
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('threads 2')
    expect(r.stderr).toContain('only threads 1 can be measured')
  })
})
