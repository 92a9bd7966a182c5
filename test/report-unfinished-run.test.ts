/**
 * `llem report` never calls an unfinished run passed, and never writes over a run another llem is
 * writing. A run killed before all its planned experiments ran (kill -9: no record of the rest) is
 * reported `interrupted`, with the experiments that have no result named on stderr. While another llem
 * holds the results directory's lock (a run in progress, a --resume), report refuses, exit 2, and
 * writes nothing. The console's line for each experiment shows the experiment's recorded span, not the
 * milliseconds between two replayed events.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { acquireLock } from '../core/results/run-lock.js'
import { writeRunDir } from './fixtures/run-dirs.js'
import { makeProject, runCli } from './fixtures/project.js'

const CONFIG = "export default { reporters: ['console', 'json'] }\n"

function killedRun(): { dir: string; runDir: string } {
  const dir = makeProject({ 'llem.config.ts': CONFIG })
  const results = path.join(dir, 'llem-results')
  // 'first' ran for 12.5 s; 'second' and 'third' were planned, and the run was killed before them
  const { runDir } = writeRunDir(
    [
      { name: 'first', task_hash: 'aaaa000000000001', energyJ: 50, inferenceSec: 12.5 },
      { name: 'second', task_hash: 'aaaa000000000002', energyJ: 50, noResult: true },
      { name: 'third', task_hash: 'aaaa000000000003', energyJ: 50, noResult: true },
    ],
    { root: results },
  )
  return { dir, runDir }
}

describe('llem report of a run that did not finish', () => {
  it('says interrupted, names what has no result, and shows each experiment its own span', async () => {
    const { dir, runDir } = killedRun()
    const r = await runCli(dir, ['report', runDir])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain("2 of the run's planned experiments have no result")
    expect(r.stderr).toMatch(/: second, third\n/)
    const written = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'))
    expect(written.status).toBe('interrupted')
    expect(written.results.map((x: { experiment_name: string }) => x.experiment_name)).toEqual(['first'])
    // the console's line for the one that ran: its 12.5 s, as the live run showed it
    expect(r.stdout.split('\n').find((l) => l.startsWith('✓ first'))).toMatch(/ 12\.5s$/)
  })

  it('a finished run stays passed', async () => {
    const dir = makeProject({ 'llem.config.ts': CONFIG })
    const { runDir } = writeRunDir([{ name: 'only', task_hash: 'bbbb000000000001', energyJ: 50 }], { root: path.join(dir, 'llem-results') })
    const r = await runCli(dir, ['report', runDir])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('have no result')
    expect(JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')).status).toBe('passed')
  })
})

describe('llem report while another llem writes to the results directory', () => {
  it('refuses with exit 2 and writes nothing; once the lock is released it reports', async () => {
    const { dir, runDir } = killedRun()
    // this test process stands in for a llem bench (or --resume) in progress: it holds the lock
    const lock = await acquireLock(path.dirname(runDir))
    try {
      const r = await runCli(dir, ['report', runDir])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`${runDir}: not reported while another llem writes to its results directory`)
      expect(r.stderr).toContain(`pid ${process.pid}`)
      expect(existsSync(path.join(runDir, 'results.json'))).toBe(false)
    } finally {
      lock.release()
    }
    const after = await runCli(dir, ['report', runDir])
    expect(after.code, after.stderr).toBe(0)
    expect(existsSync(path.join(runDir, 'results.json'))).toBe(true)
    // report held the lock while it wrote, and let it go
    expect(existsSync(path.join(path.dirname(runDir), '.llem.lock'))).toBe(false)
  })
})
