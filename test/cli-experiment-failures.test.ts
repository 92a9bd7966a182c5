/**
 * Failures of experiments are recorded in the results and the run goes on: a backend error, a timeout,
 * --bail, and Ctrl-C (exit 130 with `interrupted` records). Exit code 1 when any experiment failed.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, makeProject, QUICK_CONFIG, runCli, TEST_CACHE } from './fixtures/project.js'

const BENCHES = `import { describe, bench } from 'llem'
describe('f', { model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'], repeat: 2 } }, () => {
  bench('too small context', { backend: { name: 'llama-cpp', contextSize: 8 }, generation: { maxTokens: 1000 } })
  bench('fine', { backend: 'llama-cpp' })
})
`

function results(dir: string) {
  const runs = readdirSync(path.join(dir, 'llem-results')).sort()
  const runDir = path.join(dir, 'llem-results', runs[runs.length - 1])
  return readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
}

describe('experiment failures', () => {
  it('a backend error fails that experiment with the reason, the run goes on, exit 1', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/f.bench.ts': BENCHES })
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^1 passed, 1 failed$/m)
    const all = results(dir)
    const bad = all.find((a) => a.bench.name === 'too small context')
    expect(bad.status).toBe('failed')
    expect(bad.error.code).toBe('BACKEND_FAILED')
    expect(bad.error.phase).toBe('warmup')
    expect(bad.error.message).toContain('exceed the context size')
    // nothing was measured: no window, not a zero-second one
    expect(bad.total_inference_time_sec).toBeNull()
    expect(all.find((a) => a.bench.name === 'fine').status).toBe('completed')
  })

  it('--bail stops after the first failure, and records what it left unrun', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/f.bench.ts': BENCHES })
    const r = await runCli(dir, ['bench', '--bail'])
    expect(r.code).toBe(1)
    const all = results(dir)
    expect(all.map((a) => [a.bench.name, a.status]).sort()).toEqual([['fine', 'interrupted'], ['too small context', 'failed']])
    const fine = all.find((a) => a.bench.name === 'fine')
    expect(fine.error.message).toBe('not run: --bail stopped the run after 1 failed experiment')
    // it never ran: no measurement, no time
    expect(fine.process_results[0].inference_metrics).toBeNull()
  })

  it('an experiment past its timeout is killed and recorded as failed', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/f.bench.ts': BENCHES.replace("bench('too small context', { backend: { name: 'llama-cpp', contextSize: 8 }, generation: { maxTokens: 1000 } })", "bench('slow', { backend: 'llama-cpp', timeout: 1 })") })
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(1)
    const slow = results(dir).find((a) => a.bench.name === 'slow')
    expect(slow.status).toBe('failed')
    expect(slow.error.code).toBe('TIMEOUT')
    expect(slow.error.message).toContain('timeout of 1 ms')
  })

  it('SIGINT stops the run: interrupted records, exit 130 within 10 s', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/long.bench.ts': `import { bench } from 'llem'
bench('long', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 100000 } })
bench('never started', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] } })
`,
    })
    // detached: its own process group, signalled as a whole as a terminal's Ctrl-C does
    const child = spawn(process.execPath, [BIN, 'bench'], { cwd: dir, detached: true, env: { ...process.env, LLEM_CACHE_DIR: TEST_CACHE, CI: 'true', NO_COLOR: '1' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (out.includes('long: measure')) {
          clearInterval(check)
          resolve()
        }
      }, 50)
    })
    const sent = Date.now()
    process.kill(-child.pid!, 'SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(Date.now() - sent).toBeLessThan(10_000)
    expect(code).toBe(130)
    const all = results(dir)
    expect(all.map((a) => a.status).sort()).toEqual(['interrupted', 'interrupted'])
    // the summary counts them as what they were: interrupted, not failed
    expect(out).toMatch(/^0 passed, 0 failed, 2 interrupted$/m)
    expect(all.find((a) => a.bench.name === 'long').error.code).toBe('INTERRUPTED')
  })
})
