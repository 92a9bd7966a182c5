/**
 * A report path that cannot be written: under a file, it is bad input before anything is measured
 * (exit 2); under /proc, where the kernel refuses new names with ENOENT (which sends Node 20's
 * recursive mkdir into an endless loop at full CPU), the run measures, names the file it could not
 * write and exits 1, in seconds. Directories are made one level at a time (core/results/make-dirs.ts):
 * a dangling symbolic link on the way is an error, not a spin.
 */
import { existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeDirs } from '../core/results/make-dirs.js'
import { makeProject, runCli } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

let server: SseServer
beforeAll(async () => {
  server = await startSseServer(() => ({ tokens: 4 }))
})
afterAll(() => server?.close())

const project = () =>
  makeProject({
    'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 } }\n`,
    'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('a', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ['p1', 'p2'] }, generation: { maxTokens: 4 } })\n`,
  })

describe('a report path that cannot be written', () => {
  it('under a file: exit 2 before anything runs, naming the path and why', async () => {
    const dir = project()
    writeFileSync(path.join(dir, 'notes.txt'), 'a file, not a directory\n')
    const r = await runCli(dir, ['bench', '--reporter', 'console', '--reporter', 'json', '--outputFile', 'notes.txt/report.json'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(`outputFile "notes.txt/report.json": ${path.join(dir, 'notes.txt')} is not a directory`)
    // nothing was measured
    expect(existsSync(path.join(dir, 'llem-results')) ? readdirSync(path.join(dir, 'llem-results')).filter((d) => !d.startsWith('.')) : []).toEqual([])
  }, 60_000)

  it('under /proc: the run measures, names the file it could not write, exits 1, and does not spin', async () => {
    const dir = project()
    const file = `/proc/llem-no-such-dir-${process.pid}/report.json`
    const t0 = Date.now()
    const r = await runCli(dir, ['bench', '--reporter', 'console', '--reporter', 'json', '--outputFile', file])
    expect(r.code, r.stderr).toBe(1)
    // the whole run takes a few seconds; the spin never ended (killed after 16 minutes)
    expect(Date.now() - t0).toBeLessThan(60_000)
    expect(r.stdout).toMatch(/^1 passed, 0 failed$/m)
    expect(r.stderr).toContain(`llem: reporter "json" failed in onRunEnd: cannot write ${file}: ENOENT`)
    // a refused file is no bug: no stack trace
    expect(r.stderr).not.toMatch(/^\s+at /m)
    expect(r.stderr).toMatch(new RegExp(`^  ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`, 'm'))
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    expect(readdirSync(path.join(run, 'aggregated')).length).toBe(1)
  }, 90_000)

  it('makeDirs: a dangling symbolic link on the way is an error at once; an existing tree is left as it is', () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'llem-make-dirs-'))
    symlinkSync(path.join(base, 'nowhere'), path.join(base, 'dangling'))
    expect(() => makeDirs(path.join(base, 'dangling', 'a', 'b'))).toThrow(/EEXIST/)
    writeFileSync(path.join(base, 'file'), '')
    expect(() => makeDirs(path.join(base, 'file', 'a'))).toThrow(/ENOTDIR/)
    makeDirs(path.join(base, 'x', 'y', 'z'))
    makeDirs(path.join(base, 'x', 'y', 'z'))
    expect(existsSync(path.join(base, 'x', 'y', 'z'))).toBe(true)
    expect(() => makeDirs(`/proc/llem-no-such-dir-${process.pid}/a`)).toThrow(/ENOENT/)
  })
})
