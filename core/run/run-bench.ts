/**
 * Steps 2-6 of docs/methodology.md's "The run": lock and manifest (the lock is the command's), schedule,
 * run, store, repeats. Experiments go in the configured order to the chosen executor (run/executor.ts:
 * the local pool, or Slurm), each raw result stored the moment it arrives, aggregated, handed to every
 * reporter; repeats summarised with Student t CIs at the end. A worker crash, a timeout or Ctrl-C is
 * recorded in the results. Each step is a function of run-steps.ts; this file reads as the list.
 */
import path from 'node:path'
import { readFileSync } from 'node:fs'
import type { ResolvedRunOptions } from '../config/defaults.js'
import type { SessionTask } from '../measure/result-shell.js'
import type { Experiment } from '../plan/plan.js'
import { packageRoot } from '../package-root.js'
import type { ExperimentInfo, RunSummary } from '../reporters/types.js'
import { writeFailures } from '../results/atomic-write.js'
import { redactSecrets } from '../results/redact.js'
import type { ResumeState } from '../results/resume-state.js'
import type { AggregatedResult } from '../results/schema.js'
import { newRunId } from '../results/store.js'
import { sanitiseText } from '../text/sanitise-terminal.js'
import { createRng } from '../workload/random.js'
import { chooseExecutor } from './executor.js'
import type { ResolvedRun } from './resolve-run.js'
import { endRun, findSlots, openRun, recordResults, writeManifest } from './run-steps.js'
import { SeriesRunner } from './series-runner.js'
import { backendOptionsParser } from './backend-options.js'

export function llemVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

export function experimentInfo(x: Experiment): ExperimentInfo {
  return { id: x.id, name: x.name, bench: x.bench, task_hash: x.task_hash, repeat_index: x.repeat_index, mode: x.mode, effective_config: redactSecrets(x.config as unknown as Record<string, unknown>) }
}

/** grouped: as planned (a#1 a#2 b#1 b#2); interleaved: by repeat (a#1 b#1 a#2 b#2); shuffled: seeded. */
export function orderExperiments(xs: Experiment[], order: ResolvedRunOptions['order'], seed: number): Experiment[] {
  if (order === 'grouped') return [...xs]
  if (order === 'interleaved') return xs.map((x, i) => ({ x, i })).sort((a, b) => a.x.repeat_index - b.x.repeat_index || a.i - b.i).map((e) => e.x)
  const out = [...xs]
  const rng = createRng(seed)
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

export interface BenchRunOptions {
  argv: string[]
  verbose: boolean
  stdout: NodeJS.WritableStream
  isTTY: boolean
  /** aborted on SIGINT / SIGTERM */
  interrupt: AbortSignal
  /** continue an earlier run: the experiments already completed there, the results it keeps, and the
   *  manifest entries of its experiments not planned now (another filter): see results/resume-state.ts */
  resume?: Pick<ResumeState, 'runId' | 'done' | 'prior' | 'kept'>
  /** slurm executor: submit and return without following the jobs */
  detach?: boolean
}

/** A run handed to Slurm with --detach: submitted, not yet run. */
export type BenchOutcome = RunSummary & { detached?: { jobIds: string[] } }

export async function runBench(run: ResolvedRun, opts: BenchRunOptions): Promise<BenchOutcome> {
  const version = llemVersion()
  // 1. resolve (done), the executor's own refusals last: nothing is written before them
  const executor = await chooseExecutor(run.runOptions.executor.name)
  executor.check?.(run.experiments)
  // 2. lock (the command's) and manifest: reporters, the run directory, the slots, manifest.json
  const r = await openRun(run, opts.resume?.runId ?? newRunId(), opts)
  const slots = await findSlots(run)
  const manifest = await writeManifest(r, run, { version, argv: opts.argv, resume: opts.resume }, slots)
  // 3. schedule: the configured order; after --resume, what is done stays done. Sweeps and SLO
  // searches make later members as earlier ones end (series-runner.ts)
  const log = (line: string) => process.stderr.write(`llem: ${sanitiseText(line)}\n`)
  const series = new SeriesRunner(r.store, manifest, log)
  const queue = orderExperiments(run.experiments.filter((x) => x.mode === 'run' && !opts.resume?.done.has(x.id)), run.runOptions.order, run.runOptions.orderSeed)
  if (opts.resume) queue.push(...(await series.resume(run.experiments, opts.resume.done, opts.resume.prior)))
  const infos = run.experiments.map(experimentInfo)
  await r.dispatcher.emit('onPlan', infos)
  // 4-5. run and store: after --resume the run's results are the ones it keeps plus what runs now
  const results: AggregatedResult[] = [...(opts.resume?.prior ?? [])]
  const backendOptions = backendOptionsParser(run.backends)
  const task = (x: Experiment, processIndex: number, numProcesses: number, othersRunning = false): SessionTask => ({ runId: r.runId, runDir: r.store.runDir, rootDir: run.loaded.rootDir, cacheDir: run.cacheDir, llemVersion: version, experiment: x, processIndex, numProcesses, othersRunning, backendOptions: backendOptions(x) })
  const failedWritesBefore = writeFailures().length
  const hooks = recordResults(r, series, results, experimentInfo, log)
  const plan = { queue, runId: r.runId, runDir: r.store.runDir, rootDir: run.loaded.rootDir, runOptions: run.runOptions, slots: slots.slots, gpuSensors: slots.gpuSensors, interrupt: opts.interrupt, detach: opts.detach ?? false, task }
  const outcome = await executor.run(plan, hooks)
  const skipped = infos.filter((i) => i.mode === 'skip')
  if (outcome.detached) return { runId: r.runId, runDir: r.store.runDir, results, skipped, durationMs: Date.now() - r.startedAt, status: 'passed', repeats: [], detached: outcome.detached }
  // 6. repeats, onRunEnd
  return endRun(r, { results, skipped, failures: outcome.failures, interrupted: outcome.interrupted, failedWritesBefore })
}
