/**
 * What a compute node needs to run one task, written into the run directory before submission:
 * slurm/tasks/<i>.json holds the whole SessionTask (experiment, config, paths), slurm/jobs.json the
 * job ids with the tasks of each array. The run directory must be on a filesystem the nodes share.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { SessionTask } from '../measure/result-shell.js'
import { writeFileAtomic } from '../results/atomic-write.js'

export interface SlurmJobsFile {
  submitted_at: string
  /** one entry per sbatch: its job id, script and llem task indices in array order */
  jobs: { job_id: string; script: string; tasks: number[]; gpus: number }[]
  /** llem task index -> experiment and process */
  tasks: { index: number; experiment_id: string; process_index: number; num_processes: number }[]
}

export const slurmDir = (runDir: string) => path.join(runDir, 'slurm')
export const taskFile = (runDir: string, i: number) => path.join(runDir, 'slurm', 'tasks', `${i}.json`)
export const jobsFile = (runDir: string) => path.join(runDir, 'slurm', 'jobs.json')
export const taskLog = (runDir: string, jobId: string, arrayTask: number) => path.join(runDir, 'slurm', 'logs', `${jobId}_${arrayTask}.log`)

export async function writeTask(runDir: string, i: number, task: SessionTask): Promise<void> {
  await writeFileAtomic(taskFile(runDir, i), JSON.stringify(task) + '\n')
}

export function readTask(runDir: string, i: number): SessionTask {
  return JSON.parse(readFileSync(taskFile(runDir, i), 'utf8')) as SessionTask
}

export function readJobs(runDir: string): SlurmJobsFile | null {
  const f = jobsFile(runDir)
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as SlurmJobsFile) : null
}

export async function writeJobs(runDir: string, jobs: SlurmJobsFile): Promise<void> {
  await writeFileAtomic(jobsFile(runDir), JSON.stringify(jobs, null, 2) + '\n')
}
