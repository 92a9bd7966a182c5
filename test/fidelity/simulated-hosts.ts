/**
 * The Slurm executor across two simulated hosts. Debian's slurmd is built without
 * --enable-multiple-slurmd, so one machine cannot run two real slurmd daemons; what a cluster does
 * is reproduced step by step instead: `llem bench --detach` plans the run and submits it through a
 * stand-in `sbatch` (which only hands out a job id), then each array task runs the job script llem
 * wrote, as slurmd would: in its own UTS namespace with the node's host name, with the Slurm
 * variables slurmd sets, the one GPU its gres gave it (CUDA_VISIBLE_DEVICES=0) and a driver that
 * sees only that node's GPU. Both tasks run at once. `llem report` then aggregates the run directory.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runCli, type CliResult } from '../fixtures/project.js'

export interface HostTask {
  host: string
  /** env of the task on that host: its driver (LD_LIBRARY_PATH, FAKE_NVML_CONFIG) */
  env: Record<string, string>
}

const JOB_ID = 4242

/** the stand-in sbatch: `sbatch --parsable <script>` prints a job id and runs nothing */
export function writeStandInSbatch(dir: string): string {
  const bin = path.join(dir, 'bin')
  mkdirSync(bin, { recursive: true })
  writeFileSync(path.join(bin, 'sbatch'), `#!/bin/sh\necho ${JOB_ID}\n`)
  chmodSync(path.join(bin, 'sbatch'), 0o755)
  return bin
}

function runTask(dir: string, script: string, arrayIndex: number, t: HostTask): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // the host name only inside this task's namespace: os.hostname() in llem reads it there
    const child = spawn('unshare', ['--uts', 'bash', '-c', 'hostname "$1" && exec bash "$2"', 'task', t.host, script], {
      cwd: dir,
      env: {
        ...process.env, CI: 'true', NO_COLOR: '1', ...t.env,
        SLURM_JOB_ID: String(JOB_ID + 1 + arrayIndex), SLURM_ARRAY_JOB_ID: String(JOB_ID), SLURM_ARRAY_TASK_ID: String(arrayIndex),
        SLURMD_NODENAME: t.host, SLURM_CPUS_ON_NODE: '1', CUDA_VISIBLE_DEVICES: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** plan and submit, run every array task on its host at once, then aggregate; one CliResult for all */
export async function runOnSimulatedHosts(dir: string, tasks: HostTask[]): Promise<CliResult> {
  const bin = writeStandInSbatch(dir)
  const steps: CliResult[] = []
  const done = (): CliResult => ({
    code: steps.find((r) => r.code !== 0)?.code ?? 0,
    stdout: steps.map((r) => r.stdout).join('\n'),
    stderr: steps.map((r) => r.stderr).join('\n'),
  })
  steps.push(await runCli(dir, ['bench', '--detach'], { PATH: `${bin}:${process.env.PATH}` }))
  if (steps[0].code !== 0) return done()
  const results = path.join(dir, 'llem-results')
  const runDir = path.join(results, readdirSync(results)[0])
  const script = path.join(runDir, 'slurm', 'job-0.sh')
  steps.push(...(await Promise.all(tasks.map((t, i) => runTask(dir, script, i, t)))))
  steps.push(await runCli(dir, ['report', runDir]))
  return done()
}
