/**
 * Issue 14, item 6: what the slurm executor writes into a run directory on a shared filesystem. A
 * task file must hold the server's environment (HF_TOKEN: the node starts the server from it) and a job
 * script the site's setup lines (`export HF_TOKEN=...`), so neither may be readable by anyone but the
 * owner: slurm/ and slurm/tasks/ are 0700, task files 0600, job scripts 0700. Nothing else under the
 * run directory (manifest, results) holds the secret. sbatch is a stand-in: no cluster needed.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Experiment } from '../core/plan/plan.js'
import type { SessionTask } from '../core/measure/result-shell.js'
import { executeOnSlurm } from '../core/slurm/slurm-executor.js'

const SECRET = `hf_planted_${process.pid}_slurm`
const mode = (p: string) => statSync(p).mode & 0o777

describe('slurm task files', () => {
  it('are readable by their owner only, and so are the job scripts and their directories', async () => {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'llem-slurm-private-'))
    const x = { id: 'e-1', name: 'e', config: { gpus: 0, parallel: { data: 2 }, timeout: 60_000, backend: { name: 'server', env: { HF_TOKEN: SECRET } } } } as unknown as Experiment
    const task = (e: Experiment, processIndex: number, numProcesses: number) => ({ runId: 'r', runDir, rootDir: runDir, cacheDir: runDir, llemVersion: '0', experiment: e, processIndex, numProcesses }) as unknown as SessionTask
    const submitted: string[] = []
    const runner = async (cmd: string, args: string[]) => {
      submitted.push(`${cmd} ${args.join(' ')}`)
      return { code: 0, stdout: '4242\n', stderr: '' }
    }
    const options = { name: 'slurm' as const, setup: [`export HF_TOKEN=${SECRET}`] }
    const out = await executeOnSlurm([x], { options, runId: 'r', runDir, rootDir: runDir, maxParallel: null, interrupt: new AbortController().signal, detach: true, llemCommand: ['llem'], task, onStart: async () => {}, onEnd: async () => 'completed', log: () => {}, runner })
    expect(out.jobIds).toEqual(['4242'])
    expect(submitted).toHaveLength(1)

    const slurm = path.join(runDir, 'slurm')
    expect(mode(slurm).toString(8)).toBe('700')
    expect(mode(path.join(slurm, 'tasks')).toString(8)).toBe('700')
    const tasks = readdirSync(path.join(slurm, 'tasks'))
    expect(tasks.sort()).toEqual(['0.json', '1.json'])
    for (const t of tasks) {
      const f = path.join(slurm, 'tasks', t)
      expect(mode(f).toString(8), t).toBe('600')
      // the node needs it to start the server: it is there, for the owner only
      expect(readFileSync(f, 'utf8')).toContain(SECRET)
    }
    const script = path.join(slurm, 'job-0.sh')
    expect(mode(script).toString(8)).toBe('700')
    // no file outside slurm/ (jobs.json, anything else) holds it
    const elsewhere = readdirSync(runDir, { recursive: true, encoding: 'utf8' }).filter((f) => !f.startsWith('slurm/tasks') && !f.endsWith('.sh') && statSync(path.join(runDir, f)).isFile())
    for (const f of elsewhere) expect(readFileSync(path.join(runDir, f), 'utf8'), f).not.toContain(SECRET)
  })
})
