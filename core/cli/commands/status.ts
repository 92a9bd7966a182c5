/**
 * `llem status <run-dir>`: where a run submitted to Slurm stands (after `--detach`, or from another
 * shell), task by task. It also collects what has finished: a task that ended without a result gets
 * a failed result naming its Slurm state, and an experiment whose processes have all ended gets its
 * aggregated file, so `llem report` and `--resume` see the run as it is.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import pc from 'picocolors'
import { InputError } from '../../errors.js'
import { aggregate } from '../../results/aggregate.js'
import type { RawProcessResult } from '../../results/schema.js'
import { RunStore } from '../../results/store.js'
import { runCommand, taskStates, TERMINAL, type TaskState } from '../../slurm/slurm-commands.js'
import { taskResult } from '../../slurm/slurm-executor.js'
import { readJobs, readTask } from '../../slurm/task-files.js'
import { sanitiseLine } from '../../text/sanitise-terminal.js'

export async function statusCommand(runDir: string, flags: { json?: boolean }): Promise<number> {
  const dir = path.resolve(runDir)
  if (!existsSync(path.join(dir, 'manifest.json'))) throw new InputError('RESULTS_INVALID', `${dir}: not a llem run directory (no manifest.json)`)
  const jobs = readJobs(dir)
  if (!jobs) throw new InputError('RESULTS_INVALID', `${dir}: not a run submitted to Slurm (no slurm/jobs.json); a local run is complete when llem bench returns`)
  const store = new RunStore(dir)
  const rows: { experiment: string; process: number; task: string; state: string; node: string | null; result: string }[] = []
  const byExperiment = new Map<string, { raws: RawProcessResult[]; total: number }>()
  for (const job of jobs.jobs) {
    const states = await taskStates(runCommand, job.job_id)
    for (const [arrayTask, index] of job.tasks.entries()) {
      const task = readTask(dir, index)
      const x = task.experiment
      const s: TaskState | null = 'tasks' in states ? (states.tasks.find((t) => t.taskId === arrayTask) ?? null) : null
      // a controller that does not answer has forgotten nothing: its tasks may still be running
      const ended = 'forgotten' in states || (s !== null && TERMINAL.has(s.state))
      const entry = byExperiment.get(x.id) ?? { raws: [], total: task.numProcesses }
      byExperiment.set(x.id, entry)
      let result = '-'
      if (ended) {
        // a task llem cancelled itself (Ctrl-C, then a second one before it had settled) was interrupted
        const byLlem = (jobs.cancelled_by_llem ?? []).some((c) => c.ids.includes(job.job_id) || c.ids.includes(`${job.job_id}_${arrayTask}`))
        const raw = taskResult(dir, { x, processIndex: task.processIndex, jobId: job.job_id, arrayTask }, s, task, byLlem)
        await store.writeRaw(raw)
        entry.raws.push(raw)
        result = raw.status
      }
      rows.push({ experiment: x.name, process: task.processIndex, task: `${job.job_id}_${arrayTask}`, state: s?.state ?? ('unreachable' in states ? `UNKNOWN (Slurm did not answer: ${states.unreachable})` : 'GONE'), node: s?.node ?? null, result })
    }
  }
  let aggregated = 0
  for (const { raws, total } of byExperiment.values()) {
    if (raws.length < total) continue
    await store.writeAggregated(aggregate(raws.sort((a, b) => a.process_index - b.process_index)))
    aggregated++
  }
  const open = rows.filter((r) => r.result === '-').length
  if (flags.json) {
    process.stdout.write(JSON.stringify({ run_dir: dir, tasks: rows, finished_experiments: aggregated, unfinished_tasks: open }, null, 2) + '\n')
    return 0
  }
  for (const r of rows) {
    const colour = r.result === 'completed' ? pc.green : r.result === '-' ? pc.yellow : pc.red
    // every field was read from the run directory's files, which anyone who can write there controls
    const line = `${r.task.padEnd(10)} ${(r.node ?? '').padEnd(12)} ${r.experiment}${r.process ? ` (process ${r.process})` : ''}${r.result !== '-' ? `: ${r.result}` : ''}`
    process.stdout.write(`${colour(sanitiseLine(r.state).padEnd(11))} ${sanitiseLine(line)}\n`)
  }
  process.stdout.write(`${rows.length - open} of ${rows.length} tasks ended; ${aggregated} experiment(s) collected${open === 0 ? `: \`llem report ${runDir}\` writes the reports` : ''}\n`)
  return 0
}
