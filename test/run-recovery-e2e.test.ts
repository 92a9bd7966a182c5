/**
 * A run that survives: a killed run resumes with only what is missing, a stale lock is taken over and
 * a live one refused, a corrupt result file is named and its experiment rerun, a worker killed with
 * SIGKILL is a failed experiment while the run goes on, and Ctrl-C leaves no llem process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, makeProject, QUICK_CONFIG, runCli, TEST_CACHE } from './fixtures/project.js'

const SWEEP = `import { bench } from 'llem'
bench('sweep', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 40 }, sweep: { 'load.seed': [1, 2, 3, 4] } })
`

function start(dir: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, detached: true, env: { ...process.env, LLEM_CACHE_DIR: TEST_CACHE, CI: 'true', NO_COLOR: '1' } })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  return { child, output: () => out }
}

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Every live descendant of pid, from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      /* gone */
    }
  }
  const out: number[] = []
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp !== p) continue
      out.push(c)
      walk(c)
    }
  }
  walk(pid)
  return out
}
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('close', r)))
const runDirOf = (dir: string) => path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).filter((d) => !d.startsWith('.')).sort().pop()!)

describe('run recovery', () => {
  it('a run killed in the middle of a sweep resumes with only what is missing', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/s.bench.ts': SWEEP })
    const { child, output } = start(dir, ['bench'])
    await until(() => (output().match(/^✓ /gm) ?? []).length >= 2)
    process.kill(-child.pid!, 'SIGKILL')
    await exited(child)
    const runDir = runDirOf(dir)
    const before = readdirSync(path.join(runDir, 'aggregated'))
    expect(before.length).toBeGreaterThanOrEqual(2)
    expect(before.length).toBeLessThan(4)

    const listed = await runCli(dir, ['list', '--run', 'latest'])
    expect(listed.stdout).toMatch(new RegExp(`${before.length} done, 0 failed or interrupted, ${4 - before.length} missing`))

    const r = await runCli(dir, ['bench', '--resume', '--reporter', 'console', '--reporter', 'json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('took over a stale lock')
    expect(r.stderr).toContain(`already completed`)
    // only the missing ones ran; the run's summary counts all four
    expect(r.stdout.match(/^✓ /gm)).toHaveLength(4 - before.length)
    expect(r.stdout).toMatch(/^4 passed, 0 failed$/m)
    expect(JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')).results).toHaveLength(4)
    expect(runDirOf(dir)).toBe(runDir)
    const after = await runCli(dir, ['list', '--run', path.basename(runDir), '--json'])
    expect(JSON.parse(after.stdout).experiments.map((x: { state: string }) => x.state)).toEqual(['done', 'done', 'done', 'done'])
  })

  it('a corrupt result file is named, and its experiment runs again on --resume', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/s.bench.ts': SWEEP.replace('[1, 2, 3, 4]', '[1, 2]') })
    expect((await runCli(dir, ['bench'])).code).toBe(0)
    const agg = path.join(runDirOf(dir), 'aggregated')
    const victim = path.join(agg, readdirSync(agg)[0])
    writeFileSync(victim, '{"half a file')
    writeFileSync(path.join(agg, 'notes.json'), JSON.stringify({ hello: 'world' }))
    const listed = await runCli(dir, ['list', '--run', 'latest'])
    expect(listed.stdout).toContain(`${victim}: corrupt`)
    expect(listed.stdout).toContain('notes.json: not a llem result')
    const r = await runCli(dir, ['bench', '--resume', 'latest'])
    expect(r.stderr).toMatch(new RegExp(`${victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: corrupt .*: its experiment runs again$`, 'm'))
    // a file of no experiment is named, and said to be ignored, not to have an experiment that runs again
    expect(r.stderr).toMatch(/notes\.json: not a llem result.*: ignored: no experiment planned now has this file$/m)
    expect(r.stdout.match(/^✓ /gm)).toHaveLength(1)
    expect(r.stdout).toMatch(/^2 passed, 0 failed$/m)
    expect(JSON.parse(readFileSync(victim, 'utf8')).status).toBe('completed')
  })

  it('a second llem on the same results directory gets a clear error', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/s.bench.ts': SWEEP })
    mkdirSync(path.join(dir, 'llem-results'))
    writeFileSync(path.join(dir, 'llem-results', '.llem.lock'), JSON.stringify({ pid: process.pid, since: 'earlier' }))
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`llem-results is in use by another llem (pid ${process.pid}, since earlier)`)
  })

  it('a worker killed with SIGKILL fails its experiment; the run goes on', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/k.bench.ts': `import { bench } from 'llem'
bench('victim', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 100000 } })
bench('survivor', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 5 } })
`,
    })
    const { child, output } = start(dir, ['bench'])
    const spawned = Date.now()
    await until(() => output().includes('victim: measure'))
    const workers = descendants(child.pid!)
    expect(workers.length).toBeGreaterThan(0)
    const killedAt = Date.now()
    for (const w of workers) process.kill(w, 'SIGKILL')
    expect(await exited(child)).toBe(1)
    const results = readdirSync(path.join(runDirOf(dir), 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDirOf(dir), 'aggregated', f), 'utf8')))
    const victim = results.find((x) => x.bench.name === 'victim')
    expect(victim.status).toBe('failed')
    expect(victim.error.code).toBe('WORKER_FAILED')
    // its record spans the time it ran, from its hand-over (after llem started) to its death (after the kill)
    expect(Date.parse(victim.start_time)).toBeGreaterThanOrEqual(spawned - 1)
    expect(Date.parse(victim.start_time)).toBeLessThan(killedAt)
    expect(Date.parse(victim.end_time)).toBeGreaterThanOrEqual(killedAt - 1)
    expect(results.find((x) => x.bench.name === 'survivor').status).toBe('completed')
  })

  it('Ctrl-C: exit 130 within 10 s and no process llem started is left alive', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/s.bench.ts': SWEEP.replace('requests: 40', 'requests: 100000') })
    const { child, output } = start(dir, ['bench'])
    await until(() => output().includes(': measure'))
    const started = descendants(child.pid!)
    expect(started.length).toBeGreaterThan(0)
    const t0 = Date.now()
    process.kill(-child.pid!, 'SIGINT')
    expect(await exited(child)).toBe(130)
    expect(Date.now() - t0).toBeLessThan(10_000)
    await until(() => started.every((p) => !alive(p)), 5_000)
    expect(existsSync(path.join(dir, 'llem-results', '.llem.lock'))).toBe(false)
  })
})
