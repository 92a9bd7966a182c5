/**
 * What a compute node needs to run one task, written into the run directory before submission:
 * slurm/tasks/<i>.json holds the whole SessionTask (experiment, config, paths), slurm/jobs.json the
 * job ids with the tasks of each array. The run directory must be on a filesystem the nodes share.
 * A task holds what its node needs to start the server, its environment (HF_TOKEN) included, and the
 * job scripts hold the site's setup lines: on a filesystem other users see, slurm/ and slurm/tasks/
 * are 0700 and task files 0600, so they are the owner's alone (see docs/security.md).
 */
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { SessionTask } from '../measure/result-shell.js'
import { writeFileAtomic } from '../results/atomic-write.js'
import { checkIndex, checkJobId, checkSegment } from '../results/safe-names.js'

export interface SlurmJobsFile {
  submitted_at: string
  /** one entry per sbatch: its job id, script and llem task indices in array order */
  jobs: { job_id: string; script: string; tasks: number[]; gpus: number }[]
  /** llem task index -> experiment and process */
  tasks: { index: number; experiment_id: string; process_index: number; num_processes: number }[]
  /** the jobs (or `job_task`s) llem itself cancelled (Ctrl-C), and when: their CANCELLED tasks were
   *  interrupted by the user, not cancelled by someone else (`llem status` reads this) */
  cancelled_by_llem?: { ids: string[]; at: string }[]
}

export const slurmDir = (runDir: string) => path.join(runDir, 'slurm')
export const taskFile = (runDir: string, i: number) => path.join(runDir, 'slurm', 'tasks', `${i}.json`)
export const jobsFile = (runDir: string) => path.join(runDir, 'slurm', 'jobs.json')
export const taskLog = (runDir: string, jobId: string, arrayTask: number) => path.join(runDir, 'slurm', 'logs', `${jobId}_${arrayTask}.log`)

/** slurm/ and slurm/tasks/, the owner's only (chmod too: mkdir's mode is cut by the umask, and an
 *  earlier run's directory, resumed, may have been made before) */
export async function privateSlurmDirs(runDir: string): Promise<void> {
  for (const dir of [slurmDir(runDir), path.join(slurmDir(runDir), 'tasks')]) {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chmod(dir, 0o700)
  }
}

export async function writeTask(runDir: string, i: number, task: SessionTask): Promise<void> {
  await privateSlurmDirs(runDir)
  await writeFileAtomic(taskFile(runDir, i), JSON.stringify(task) + '\n')
  await chmod(taskFile(runDir, i), 0o600)
}

/** A task as written, its experiment id checked: it names raw/<id>/ and aggregated/<id>.json. */
export function readTask(runDir: string, i: number): SessionTask {
  const file = taskFile(runDir, checkIndex(i, jobsFile(runDir), 'task index'))
  const task = JSON.parse(readFileSync(file, 'utf8')) as SessionTask
  checkSegment(task?.experiment?.id, file, 'experiment.id')
  return task
}

export function readJobs(runDir: string): SlurmJobsFile | null {
  const f = jobsFile(runDir)
  if (!existsSync(f)) return null
  const jobs = JSON.parse(readFileSync(f, 'utf8')) as SlurmJobsFile
  // job ids name log files (slurm/logs/<job>_<task>.log), task indices task files: checked before use
  for (const [k, j] of (jobs.jobs ?? []).entries()) {
    checkJobId(j.job_id, f, `jobs[${k}].job_id`)
    j.tasks.forEach((t, n) => checkIndex(t, f, `jobs[${k}].tasks[${n}]`))
  }
  for (const [k, t] of (jobs.tasks ?? []).entries()) checkIndex(t.index, f, `tasks[${k}].index`)
  return jobs
}

export async function writeJobs(runDir: string, jobs: SlurmJobsFile): Promise<void> {
  await writeFileAtomic(jobsFile(runDir), JSON.stringify(jobs, null, 2) + '\n')
}
