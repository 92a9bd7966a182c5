/**
 * `llem worker --run <dir> --task <i>`: one task of a run planned elsewhere (a Slurm array task). It
 * reads the task from the shared run directory, runs the experiment's process in this process with
 * the GPUs the scheduler gave it (CUDA_VISIBLE_DEVICES as set), and writes the raw result there.
 * While it runs it is listed in slurm/active/ so that its siblings on the node take no idle baseline.
 * Exit 0 when the experiment completed, 1 when its result records a failure, 3 when the run directory
 * cannot be seen from this node (it must be on a shared filesystem).
 */
import { existsSync } from 'node:fs'
import os from 'node:os'
import { runSession } from '../../measure/session.js'
import { InputError } from '../../errors.js'
import { redactText } from '../../results/redact.js'
import { RunStore } from '../../results/store.js'
import type { RawProcessResult } from '../../results/schema.js'
import { registerOnNode } from '../../slurm/node-tasks.js'
import { readTask, taskFile } from '../../slurm/task-files.js'
import { sanitiseText } from '../../text/sanitise-terminal.js'

export async function workerCommand(flags: { run?: string; task?: string | number }): Promise<number> {
  if (!flags.run || flags.task === undefined || !/^\d+$/.test(String(flags.task))) throw new InputError('CONFIG_INVALID', 'llem worker needs --run <run-dir> --task <index> (it is started by an executor, not by hand)')
  const index = Number(flags.task)
  if (!existsSync(flags.run) || !existsSync(taskFile(flags.run, index))) {
    process.stderr.write(`llem worker: the run directory ${flags.run} (task ${index}) is not visible on ${os.hostname()}: it must be on a filesystem every node shares\n`)
    return 3
  }
  const task = readTask(flags.run, index)
  // the scheduler stops a task with SIGTERM (scancel, its time limit): record it as interrupted
  const stop = new AbortController()
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort())
  const env = process.env
  // siblings on this node (same run) rule out a fresh idle baseline; they are asked before and after it
  const node = registerOnNode(flags.run, { task: index, host: os.hostname(), pid: process.pid, slurm_task: env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}` : null, started_at: new Date().toISOString() })
  let raw: RawProcessResult
  try {
    raw = await runSession({ ...task, runDir: flags.run }, { signal: stop.signal, othersRunning: node.others })
  } finally {
    node.release()
  }
  raw.environment = { ...(raw.environment ?? {}), scheduler: { name: 'slurm', job_id: env.SLURM_JOB_ID ?? null, array_job_id: env.SLURM_ARRAY_JOB_ID ?? null, array_task_id: env.SLURM_ARRAY_TASK_ID ?? null, node: env.SLURMD_NODENAME ?? os.hostname(), cpus_on_node: env.SLURM_CPUS_ON_NODE ?? null, cuda_visible_devices: env.CUDA_VISIBLE_DEVICES ?? null } }
  await new RunStore(flags.run).writeRaw(raw)
  // the error may quote a server or the worker's log tail
  process.stdout.write(sanitiseText(redactText(`llem worker: ${task.experiment.name} process ${task.processIndex}: ${raw.status}${raw.error ? ` (${raw.error.code}: ${raw.error.message})` : ''}`)) + '\n')
  return raw.status === 'completed' ? 0 : 1
}
