/**
 * The local executor: the worker pool on this machine (execute.ts), with the cool-down between
 * experiments on the same GPUs (cooldown.ts), which only a local run can wait for.
 */
import { waitForCooldown } from './cooldown.js'
import { executeExperiments } from './execute.js'
import type { Executor } from './executor.js'

export const localExecutor: Executor = {
  name: 'local',
  async run(plan, hooks) {
    const { runOptions } = plan
    // when each GPU (or the CPU) last ran an experiment, and where each experiment was placed
    const lastGpus = new Map<string, number>()
    const placedOn = new Map<string, string[]>()
    return executeExperiments(plan.queue, {
      slots: plan.slots,
      maxParallel: runOptions.maxParallel ?? Math.max(1, plan.slots.length),
      bail: runOptions.bail,
      interrupt: plan.interrupt,
      task: plan.task,
      async onStart(x, gpus) {
        // cool-down only where the same GPUs (or the CPU) just ran another experiment
        const used = gpus.flat().map((g) => g.uuid)
        if ((used.length ? used : ['cpu']).some((u) => lastGpus.has(u))) await waitForCooldown(runOptions.cooldown, used, plan.interrupt, plan.gpuSensors)
        placedOn.set(x.id, used.length ? used : ['cpu'])
        await hooks.onStart(x)
      },
      onProgress: (x, m, t0) => hooks.onProgress(x, m, t0),
      onEnd(x, raws, overlapped) {
        // the slots it was placed on, whether or not its probes measured them (a failed run heats a GPU too)
        for (const u of placedOn.get(x.id) ?? []) lastGpus.set(u, Date.now())
        return hooks.onEnd(x, raws, overlapped)
      },
      onNotRun: (x, raw) => hooks.onNotRun(x, raw),
      follow: (x) => hooks.follow(x),
    })
  },
}
