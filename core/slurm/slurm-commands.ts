/**
 * Slurm's command-line tools, the way a login node offers them: sbatch to submit, scontrol to follow
 * (it knows finished tasks for MinJobAge after they end), sacct when the site has accounting, scancel.
 * Each call maps a failure to a typed error: a tool that is missing or a submission Slurm rejects is
 * the user's input (exit 2, with Slurm's own message); anything else is llem's failure to follow.
 */
import { execFile } from 'node:child_process'
import { InputError, LlemError } from '../errors.js'

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

export type Runner = (cmd: string, args: string[]) => Promise<CommandResult>

export const runCommand: Runner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new InputError('SLURM_UNAVAILABLE', `${cmd} not found on PATH: the slurm executor runs where Slurm's client tools are (a login node), or use --executor local`))
        return
      }
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })

/** Submit a batch script; Slurm's refusal (a partition that does not exist, a bad --mem) is bad input. */
export async function sbatch(run: Runner, script: string): Promise<string> {
  const r = await run('sbatch', ['--parsable', script])
  if (r.code !== 0) {
    const msg = r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`
    throw new InputError('SLURM_REJECTED', `Slurm rejected the job (${script}): ${msg}`)
  }
  // --parsable prints "jobid" or "jobid;cluster"
  const id = r.stdout.trim().split(';')[0]
  if (!/^\d+$/.test(id)) throw new LlemError('SLURM_FAILED', `sbatch printed no job id: ${r.stdout.trim()}`)
  return id
}

export interface TaskState {
  /** array task id inside its job */
  taskId: number
  state: string
  /** "code:signal" as Slurm prints it */
  exitCode: string | null
  node: string | null
  reason: string | null
  /** when it started running (ms since the epoch; Slurm prints the controller's local time), null if not yet or not known */
  start: number | null
}

/** The answer about one array job: its tasks; or Slurm has forgotten the job; or Slurm could not be asked. */
export type JobStates = { tasks: TaskState[]; source: 'scontrol' | 'sacct' } | { forgotten: true } | { unreachable: string }

const startOf = (v: string | undefined): number | null => {
  const t = v && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(v) ? Date.parse(v) : Number.NaN
  return Number.isFinite(t) ? t : null
}

export const TERMINAL = new Set(['COMPLETED', 'FAILED', 'TIMEOUT', 'CANCELLED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT'])

/** `scontrol -o show job <array job>`: one line per task, or per range of tasks still pending. */
export function parseScontrol(text: string): TaskState[] {
  const out: TaskState[] = []
  for (const line of text.split('\n')) {
    if (!line.includes('JobId=')) continue
    const f = new Map<string, string>()
    for (const m of line.matchAll(/(\w+)=(\S*)/g)) if (!f.has(m[1])) f.set(m[1], m[2])
    const ids = expandTaskIds(f.get('ArrayTaskId') ?? '')
    const node = f.get('NodeList')
    for (const taskId of ids)
      out.push({ taskId, state: (f.get('JobState') ?? 'UNKNOWN').split('+')[0], exitCode: f.get('ExitCode') ?? null, node: node && node !== '(null)' ? node : null, reason: f.get('Reason') ?? null, start: startOf(f.get('StartTime')) })
  }
  return out
}

/** "0-3,5,7-9%2" -> [0,1,2,3,5,7,8,9] */
export function expandTaskIds(spec: string): number[] {
  const ids: number[] = []
  for (const part of spec.split('%')[0].split(',')) {
    const [a, b] = part.split('-').map(Number)
    if (Number.isInteger(a)) for (let i = a; i <= (Number.isInteger(b) ? b : a); i++) ids.push(i)
  }
  return ids
}

/** `sacct -n -P -X -j <job> -o JobID,State,ExitCode,NodeList`: "123_4|COMPLETED|0:0|node1" */
export function parseSacct(text: string): TaskState[] {
  const out: TaskState[] = []
  for (const line of text.split('\n')) {
    const [jobId, state, exitCode, node] = line.trim().split('|')
    const m = /^\d+_(\d+)$/.exec(jobId ?? '')
    if (m) out.push({ taskId: Number(m[1]), state: (state ?? 'UNKNOWN').split(' ')[0], exitCode: exitCode ?? null, node: node || null, reason: null, start: null })
    else if (/^\d+_\[/.test(jobId ?? '')) for (const taskId of expandTaskIds(jobId.slice(jobId.indexOf('[') + 1, -1))) out.push({ taskId, state: state ?? 'PENDING', exitCode: null, node: null, reason: null, start: null })
  }
  return out
}

/**
 * The state of every task of an array job: scontrol while the controller remembers the job, else
 * sacct where accounting exists. The job is forgotten only when scontrol says the id is unknown and
 * sacct has nothing either; a controller that does not answer (restarting, failing over, overloaded)
 * forgets nothing, and its tasks may still be running and writing their results.
 */
export async function taskStates(run: Runner, jobId: string): Promise<JobStates> {
  const s = await run('scontrol', ['-o', 'show', 'job', jobId])
  if (s.code === 0 && s.stdout.includes('JobId=')) return { tasks: parseScontrol(s.stdout), source: 'scontrol' }
  const a = await run('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode,NodeList']).catch(() => null)
  if (a && a.code === 0 && a.stdout.trim()) return { tasks: parseSacct(a.stdout), source: 'sacct' }
  const said = `${s.stderr} ${s.stdout}`.trim()
  if (/invalid job id/i.test(said)) return { forgotten: true }
  return { unreachable: said.split('\n')[0] || `scontrol exited ${s.code}` }
}

export async function scancel(run: Runner, jobIds: string[]): Promise<void> {
  if (jobIds.length) await run('scancel', jobIds)
}

/** The partition must exist: sbatch would say so too, but only after the run directory is written. */
export async function checkPartition(run: Runner, partition: string): Promise<void> {
  const r = await run('sinfo', ['-h', '-p', partition, '-o', '%P'])
  if (r.code !== 0 || r.stdout.trim() === '') {
    const all = await run('sinfo', ['-h', '-o', '%P'])
    const names = all.stdout.split('\n').map((p) => p.trim().replace(/\*$/, '')).filter(Boolean)
    throw new InputError('SLURM_REJECTED', `executor.partition: Slurm has no partition "${partition}"${names.length ? ` (partitions: ${names.join(', ')})` : ''}`)
  }
}
