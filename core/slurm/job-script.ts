/**
 * The sbatch script of one array: its #SBATCH lines from the executor options, the site's setup
 * lines (`module load cuda`), and one `llem worker` per array task. Tasks that need different GPU
 * counts go in different arrays, since one array asks for one shape of resources.
 */
export interface SlurmExecutorOptions {
  name: 'slurm'
  partition?: string
  /** GPUs per task for experiments that do not say (`gpus`); default 1 */
  gpusPerTask?: number
  cpusPerTask?: number
  mem?: string
  time?: string
  account?: string
  qos?: string
  constraint?: string
  sbatchArgs?: string[]
  setup?: string[]
  pollIntervalMs?: number
  /** how a compute node starts llem: default this node's Node binary and llem's bin/llem.js */
  command?: string[]
}

export interface ArraySpec {
  /** llem's task indices, in array order: array task k runs tasks[k] */
  tasks: number[]
  gpus: number
  /** the longest timeout of its experiments (ms), for --time when the options give none */
  timeoutMs: number
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** Slurm's --time from milliseconds, with a margin for a node to start llem and load a model. */
export function slurmTime(ms: number): string {
  const minutes = Math.ceil(ms / 60_000) + 5
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:00`
}

export function jobScript(a: { runId: string; runDir: string; rootDir: string; array: ArraySpec; index: number; options: SlurmExecutorOptions; maxParallel: number | null; llemCommand: string[] }): string {
  const o = a.options
  const n = a.array.tasks.length
  const sb = (s: string) => `#SBATCH ${s}`
  const lines = [
    '#!/bin/bash',
    `# llem run ${a.runId}, array ${a.index}: ${n} task(s) with ${a.array.gpus} GPU(s) each (written by llem; resubmitted by --resume)`,
    sb(`--job-name=llem-${a.runId.slice(-6)}-${a.index}`),
    sb(`--array=0-${n - 1}${a.maxParallel ? `%${a.maxParallel}` : ''}`),
    sb(`--output=${a.runDir}/slurm/logs/%A_%a.log`),
    sb('--ntasks=1'),
    sb(`--time=${o.time ?? slurmTime(a.array.timeoutMs)}`),
  ]
  if (o.partition) lines.push(sb(`--partition=${o.partition}`))
  if (a.array.gpus > 0) lines.push(sb(`--gres=gpu:${a.array.gpus}`))
  if (o.cpusPerTask) lines.push(sb(`--cpus-per-task=${o.cpusPerTask}`))
  if (o.mem) lines.push(sb(`--mem=${o.mem}`))
  if (o.account) lines.push(sb(`--account=${o.account}`))
  if (o.qos) lines.push(sb(`--qos=${o.qos}`))
  if (o.constraint) lines.push(sb(`--constraint=${o.constraint}`))
  for (const arg of o.sbatchArgs ?? []) lines.push(sb(arg))
  lines.push(
    '',
    'set -eo pipefail',
    ...(o.setup ?? []),
    `cd ${quote(a.rootDir)}`,
    `TASKS=(${a.array.tasks.join(' ')})`,
    // the GPUs are the ones Slurm's gres gave this task: llem trusts its CUDA_VISIBLE_DEVICES
    `exec ${a.llemCommand.map(quote).join(' ')} worker --run ${quote(a.runDir)} --task "\${TASKS[$SLURM_ARRAY_TASK_ID]}"`,
    '',
  )
  return lines.join('\n')
}
