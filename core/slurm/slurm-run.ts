/**
 * The Slurm executor behind the executor contract (run/executor.ts): the plan submitted as job arrays
 * and followed (slurm-executor.ts), or left queued with --detach. An adaptive series cannot run here:
 * its later members are made from earlier results, and Slurm is given a fixed set of tasks.
 */
import path from 'node:path'
import { packageRoot } from '../package-root.js'
import type { Executor } from '../run/executor.js'
import { refuseSeriesOnSlurm } from '../run/series-runner.js'
import { executeOnSlurm } from './slurm-executor.js'

export const slurmExecutor: Executor = {
  name: 'slurm',
  check: refuseSeriesOnSlurm,
  async run(plan, hooks) {
    const options = plan.runOptions.executor
    if (options.name !== 'slurm') throw new Error(`the slurm executor was given executor options for ${options.name}`)
    const r = await executeOnSlurm(plan.queue, {
      options,
      runId: plan.runId,
      runDir: plan.runDir,
      rootDir: plan.rootDir,
      maxParallel: plan.runOptions.maxParallel,
      interrupt: plan.interrupt,
      detach: plan.detach,
      llemCommand: options.command ?? [process.execPath, path.join(packageRoot(), 'bin', 'llem.js')],
      task: plan.task,
      onStart: (x) => hooks.onStart(x),
      onEnd: (x, raws, overlapped) => hooks.onEnd(x, raws, overlapped),
      log: (line) => hooks.log(line),
    })
    return r.detached ? { failures: r.failures, interrupted: r.interrupted, detached: { jobIds: r.jobIds } } : { failures: r.failures, interrupted: r.interrupted }
  },
}
