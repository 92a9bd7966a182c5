/**
 * Issue 14, item 17: names read from a run directory's files become parts of paths (raw/<experiment
 * id>/, lm-eval's samples_<task>_<date>.jsonl, slurm/tasks/<index>.json, slurm/logs/<job>_<task>.log).
 * A crafted run directory (one copied from elsewhere, a shared one another user can write) must not
 * make `llem report` or `llem status` write outside it: a name with a path separator, `..` or a
 * control character is refused with exit 2, naming the file and the field.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { resolveRun } from '../core/run/resolve-run.js'
import { executeOnSlurm } from '../core/slurm/slurm-executor.js'
import { sanitizeModelName } from '../plugins/reporters/lm-eval.js'
import { makeProject, REPO, runCli } from './fixtures/project.js'

const ECHO = path.join(REPO, 'test', 'fixtures', 'secret-echo-server.mjs')
const ESCAPED = 'escaped-by-a-crafted-name'
let project: string
let runDir: string

/** every path under root, relative, but those under `except` */
const filesOutside = (root: string, except: string) =>
  readdirSync(root, { recursive: true, encoding: 'utf8' }).map((f) => path.join(root, f)).filter((f) => !f.startsWith(except + path.sep) && f !== except)

beforeAll(async () => {
  project = makeProject({
    'llem.config.ts': `export default { measurement: { baseline: { seconds: 0.2 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 }, generation: { maxTokens: 3 }, reporters: ['json'] }\n`,
    'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('a', { backend: { name: 'server', command: [process.execPath, ${JSON.stringify(ECHO)}, '--port', '{port}'] }, model: 'm', dataset: { prompts: ['hi'] }, load: { requests: 2 } })\n`,
  })
  const r = await runCli(project, ['bench'])
  expect(r.code, r.stderr).toBe(0)
  const root = path.join(project, 'llem-results')
  runDir = path.join(root, readdirSync(root).find((d) => !d.startsWith('.'))!)
}, 60_000)

describe('names read from a run directory', () => {
  it('llem report --reporter lm-eval: a crafted experiment id is refused, nothing is written outside', async () => {
    const [id] = readdirSync(path.join(runDir, 'raw'))
    const rawFile = path.join(runDir, 'raw', id, 'process_0.json')
    const raw = JSON.parse(readFileSync(rawFile, 'utf8'))
    // lm-eval names a file samples_<task>_<date>.jsonl, the task from the experiment id
    raw.experiment_id = `../../../../../${ESCAPED}-0123abcd`
    writeFileSync(rawFile, JSON.stringify(raw))
    const before = filesOutside(project, runDir)
    const r = await runCli(project, ['report', runDir, '--reporter', 'lm-eval'])
    expect(filesOutside(project, runDir).filter((f) => !before.includes(f))).toEqual([])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain(rawFile)
    expect(r.stderr).toMatch(/experiment_id/)
  })

  it('llem status: a crafted task file or job id is refused, nothing is written outside', async () => {
    // a Slurm run directory of its own: the plan's tasks written by the executor (sbatch is a stand-in)
    const dir = path.join(project, 'llem-results', 'slurm-run')
    mkdirSync(dir, { recursive: true })
    copyFileSync(path.join(runDir, 'manifest.json'), path.join(dir, 'manifest.json'))
    const run = await resolveRun({ cwd: project, flags: {}, run: {}, filters: [], env: process.env })
    const x = run.experiments[0]
    const task = (e: typeof x, processIndex: number, numProcesses: number) => ({ runId: 'r', runDir: dir, rootDir: project, cacheDir: run.cacheDir, llemVersion: '0', experiment: e, processIndex, numProcesses, othersRunning: false })
    await executeOnSlurm([x], { options: { name: 'slurm' }, runId: 'r', runDir: dir, rootDir: project, maxParallel: null, interrupt: new AbortController().signal, detach: true, llemCommand: ['llem'], task, onStart: async () => {}, onEnd: async () => 'completed', log: () => {}, runner: async () => ({ code: 0, stdout: '77\n', stderr: '' }) })
    // Slurm has forgotten the job: status settles the task from what is on disk
    const bin = path.join(project, 'fake-bin')
    mkdirSync(bin)
    for (const tool of ['scontrol', 'sacct']) {
      writeFileSync(path.join(bin, tool), '#!/bin/sh\nexit 1\n')
      chmodSync(path.join(bin, tool), 0o755)
    }
    const env = { PATH: `${bin}:${process.env.PATH}` }
    const taskFile = path.join(dir, 'slurm', 'tasks', '0.json')
    const original = readFileSync(taskFile, 'utf8')
    const crafted = JSON.parse(original)
    crafted.experiment.id = `../../${ESCAPED}`
    writeFileSync(taskFile, JSON.stringify(crafted))
    const before = filesOutside(project, dir)
    const r1 = await runCli(project, ['status', dir], env)
    expect(filesOutside(project, dir).filter((f) => !before.includes(f))).toEqual([])
    expect(r1.code, r1.stderr).toBe(2)
    expect(r1.stderr).toContain(taskFile)
    expect(r1.stderr).toMatch(/experiment\.id/)

    // the task is sound again, the job id is not: it names the Slurm log file read back
    writeFileSync(taskFile, original)
    const jobsFile = path.join(dir, 'slurm', 'jobs.json')
    const jobs = JSON.parse(readFileSync(jobsFile, 'utf8'))
    jobs.jobs[0].job_id = '../../x'
    writeFileSync(jobsFile, JSON.stringify(jobs))
    const r2 = await runCli(project, ['status', dir], env)
    expect(r2.code, r2.stderr).toBe(2)
    expect(r2.stderr).toContain(jobsFile)
    expect(r2.stderr).toMatch(/job_id/)
  })

  it("lm-eval's model directory stays one directory whatever the model name", () => {
    expect(sanitizeModelName('..')).toBe('__')
    expect(sanitizeModelName('.')).toBe('__')
    expect(sanitizeModelName('../../etc')).toBe('..__..__etc')
    expect(sanitizeModelName('meta-llama/Llama-3.1-8B')).toBe('meta-llama__Llama-3.1-8B')
  })
})
