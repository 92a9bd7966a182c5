/**
 * The tinypool child_process entry: one experiment per call. Native code (llama.cpp, later koffi/NVML)
 * lives here, never in the main process or a worker thread. Progress goes to the main process as IPC
 * messages (worker-messages.ts), which tinypool forwards to the task's channel.
 */
import { tolerateClosedOutput } from '../cli/closed-output.js'
import { runSession, type SessionTask } from '../measure/session.js'
import type { RawProcessResult } from '../results/schema.js'
import type { MeasuredMessage, ProgressMessage } from './worker-messages.js'

// Ctrl-C in a terminal signals the whole process group: the main process decides what an interrupt
// means (record, stop, kill this worker), so the worker must not die of the same SIGINT first
process.on('SIGINT', () => {})
// the main process is gone (a second Ctrl-C exits at once): stop, so nothing llem started outlives it;
// 'exit' handlers (a managed server's process group) still run
process.on('disconnect', () => process.exit(1))
// the worker shares llem's stdout and stderr: once `llem bench | head` has closed them, native code or
// a library printing here must not crash the experiment with EPIPE
tolerateClosedOutput()

export default async function runExperiment(task: SessionTask): Promise<RawProcessResult> {
  let last = 0
  return runSession(task, {
    onProgress(phase, done, total) {
      // at most ~20 messages a second: the measured window must stay quiet
      const now = Date.now()
      if (phase === 'measure' && done !== total && done !== 0 && now - last < 50) return
      last = now
      const msg: ProgressMessage = { llem: 'progress', experimentId: task.experiment.id, phase, done, total }
      process.send?.(msg)
    },
    onMeasured() {
      const msg: MeasuredMessage = { llem: 'measured', experimentId: task.experiment.id }
      process.send?.(msg)
    },
  })
}
