/**
 * The sbatch script of one array: its #SBATCH lines from the executor options, the site's setup
 * lines (`module load cuda`), and one `llem worker` per array task. Tasks that need different GPU
 * counts go in different arrays, since one array asks for one shape of resources.
 *
 * No value may change the script's shape: one with a control character (a newline in `qos` would be a
 * shell line run on the node) is refused, and every value is quoted, for the shell in commands and
 * for sbatch in #SBATCH lines (sbatch reads quotes and backslashes there, and an unquoted # as the
 * start of a comment: _get_argument in
 * https://github.com/SchedMD/slurm/blob/master/src/sbatch/opt.c).
 */
import type { SlurmExecutorOptions } from '../config/schema.js'
import { InputError } from '../errors.js'

/** the executor's settings, as config/schema.ts's slurmExecutorSchema checks them */
export type { SlurmExecutorOptions }

export interface ArraySpec {
  /** llem's task indices, in array order: array task k runs tasks[k] */
  tasks: number[]
  gpus: number
  /** the longest timeout of its experiments (ms), for --time when the options give none */
  timeoutMs: number
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)
/** one argument of an #SBATCH line: double quotes, with \ and " escaped (sbatch's own parsing) */
const sbatchQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/[\\"]/g, '\\$&')}"`)
// C0 controls and DEL (newline, carriage return, tab, NUL, escape...)
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/

/** Refuse a value that could add a line to the script; `field` names it as the config does. */
function checkValue(field: string, value: string | undefined): void {
  if (value !== undefined && CONTROL_CHARS.test(value))
    throw new InputError('CONFIG_INVALID', `${field} ${JSON.stringify(value)} has a control character (a newline would become a line of the job script): not allowed`)
}

/** Slurm's --time from milliseconds, with a margin for a node to start llem and load a model. */
export function slurmTime(ms: number): string {
  const minutes = Math.ceil(ms / 60_000) + 5
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}:00`
}

/**
 * `after`: the job ids this array waits for, when --max-parallel is set: the run's array before it, or
 * for a resumed run's first new array the earlier submission's jobs still queued or running. Slurm
 * throttles each array on its own (`%n`), so arrays of different GPU counts would run side by side,
 * past the limit (a user sets --max-parallel 1 for whole-system energy nobody shares); one after the
 * other, the limit holds for the run.
 */
export function jobScript(a: { runId: string; runDir: string; rootDir: string; array: ArraySpec; index: number; options: SlurmExecutorOptions; maxParallel: number | null; llemCommand: string[]; after?: string[] }): string {
  const o = a.options
  const n = a.array.tasks.length
  for (const k of ['partition', 'mem', 'time', 'account', 'qos', 'constraint'] as const) checkValue(`executor.${k}`, o[k])
  for (const [i, v] of (o.sbatchArgs ?? []).entries()) checkValue(`executor.sbatchArgs[${i}]`, v)
  for (const [i, v] of a.llemCommand.entries()) checkValue(`executor.command[${i}]`, v)
  checkValue('the run directory', a.runDir)
  checkValue('the project directory', a.rootDir)
  const sb = (s: string) => `#SBATCH ${s}`
  /** `--flag=value`, the value quoted for sbatch */
  const opt = (flag: string, value: string | number) => sb(`--${flag}=${sbatchQuote(String(value))}`)
  const lines = [
    '#!/bin/bash',
    `# llem run ${a.runId}, array ${a.index}: ${n} task(s) with ${a.array.gpus} GPU(s) each (written by llem; resubmitted by --resume)`,
    sb(`--job-name=llem-${a.runId.slice(-6)}-${a.index}`),
    sb(`--array=0-${n - 1}${a.maxParallel ? `%${a.maxParallel}` : ''}`),
    opt('output', `${a.runDir}/slurm/logs/%A_%a.log`),
    sb('--ntasks=1'),
    opt('time', o.time ?? slurmTime(a.array.timeoutMs)),
  ]
  if (a.after?.length) {
    for (const id of a.after) if (!/^\d+$/.test(id)) throw new InputError('CONFIG_INVALID', `not a Slurm job id: ${JSON.stringify(id)}`)
    lines.push(sb(`--dependency=afterany:${a.after.join(':')}`))
  }
  if (o.partition) lines.push(opt('partition', o.partition))
  if (a.array.gpus > 0) lines.push(sb(`--gres=gpu:${a.array.gpus}`))
  if (o.cpusPerTask) lines.push(opt('cpus-per-task', o.cpusPerTask))
  if (o.mem) lines.push(opt('mem', o.mem))
  if (o.account) lines.push(opt('account', o.account))
  if (o.qos) lines.push(opt('qos', o.qos))
  if (o.constraint) lines.push(opt('constraint', o.constraint))
  for (const arg of o.sbatchArgs ?? []) lines.push(sb(sbatchQuote(arg)))
  lines.push(
    '',
    'set -eo pipefail',
    ...(o.setup ?? []),
    `cd ${quote(a.rootDir)}`,
    `TASKS=(${a.array.tasks.join(' ')})`,
    // a task given no GPU sees none: Slurm sets no CUDA_VISIBLE_DEVICES without --gres, and unset means
    // every GPU on the node to CUDA and to llem's probes, including GPUs other tasks hold (as pinningEnv
    // hides them from a local experiment given none)
    ...(a.array.gpus === 0 ? ['export CUDA_VISIBLE_DEVICES= ROCR_VISIBLE_DEVICES= HIP_VISIBLE_DEVICES='] : []),
    // the GPUs are the ones Slurm's gres gave this task: llem trusts its CUDA_VISIBLE_DEVICES
    `exec ${a.llemCommand.map(quote).join(' ')} worker --run ${quote(a.runDir)} --task "\${TASKS[$SLURM_ARRAY_TASK_ID]}"`,
    '',
  )
  return lines.join('\n')
}
