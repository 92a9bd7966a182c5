/**
 * Steps 5-8: experiments (in the configured order) onto GPU slots or the CPU slot, each raw result
 * stored the moment it arrives, aggregated, handed to every reporter; repeats summarised with
 * Student t CIs at the end. A worker crash, a timeout or Ctrl-C is recorded in the results.
 */
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { collectMachineInfo } from '../env/machine.js'
import type { SessionTask } from '../measure/result-shell.js'
import type { Experiment } from '../plan/plan.js'
import { packageRoot } from '../package-root.js'
import { builtinReporters } from '../reporters/builtin-reporters.js'
import { createDispatcher } from '../reporters/dispatch.js'
import { loadReporters } from '../reporters/load-reporters.js'
import type { ExperimentInfo, RunSummary } from '../reporters/types.js'
import { aggregate } from '../results/aggregate.js'
import { writeFailures, writeFileAtomic } from '../results/atomic-write.js'
import { paretoSummary } from '../results/pareto.js'
import { summariseRepeats } from '../results/repeat-stats.js'
import type { ResumeState } from '../results/resume-state.js'
import { SCHEMA_VERSION, type AggregatedResult, type Manifest, type RawProcessResult } from '../results/schema.js'
import { newRunId, RunStore } from '../results/store.js'
import { createRng } from '../workload/random.js'
import { probesRecord } from '../config/normalise.js'
import { redactArgv, redactSecrets } from '../results/redact.js'
import { recordIdleTemperatures, waitForCooldown } from './cooldown.js'
import { executeExperiments, gpusPerProcess } from './execute.js'
import type { ResolvedRun } from './resolve-run.js'
import { gpuProbes } from './gpu-probes.js'
import { discoverGpuSlots } from './slots.js'
import { manifestEntry, refuseSeriesOnSlurm, SeriesRunner } from './series-runner.js'
import { sanitiseText } from '../text/sanitise-terminal.js'

export function llemVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

export function experimentInfo(x: Experiment): ExperimentInfo {
  return { id: x.id, name: x.name, bench: x.bench, task_hash: x.task_hash, repeat_index: x.repeat_index, mode: x.mode, effective_config: redactSecrets(x.config as unknown as Record<string, unknown>) }
}

/** grouped: as planned (a#1 a#2 b#1 b#2); interleaved: by repeat (a#1 b#1 a#2 b#2); shuffled: seeded. */
export function orderExperiments(xs: Experiment[], order: 'grouped' | 'interleaved' | 'shuffled', seed: number): Experiment[] {
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
  const started = Date.now()
  const version = llemVersion()
  const rootDir = run.loaded.rootDir
  if (run.runOptions.executor.name === 'slurm') refuseSeriesOnSlurm(run.experiments)
  const runId = opts.resume?.runId ?? newRunId()
  // resultsDir is absolute: resolveRun applied the one rule (results/results-dir.ts)
  const runDir = path.join(run.runOptions.resultsDir, runId)
  const base = { runId, runDir, rootDir, configFile: run.loaded.file, stdout: opts.stdout, isTTY: opts.isTTY, verbose: opts.verbose }
  const reporters = await loadReporters(run.runOptions.reporters, base, { outputFile: run.runOptions.outputFile, builtins: builtinReporters })
  // reporters load first: a bad reporter spec is bad input and must leave no empty run directory
  const store = await RunStore.create(path.dirname(runDir), runId)
  const dispatcher = createDispatcher(reporters)
  // each loaded reporter receives its own context (options, outputFile); `base` only reaches others
  await dispatcher.emit('onInit', { ...base, options: {}, outputFile: null })
  const probeConfig = probesRecord(run.loaded.config.probes)
  const { slots, note: slotNote } = await discoverGpuSlots(run.runOptions.devices, process.env, probeConfig, run.loaded.rootDir)
  const gpuSensors = run.runOptions.cooldown.temperatureMarginC !== null ? await gpuProbes(probeConfig, run.loaded.rootDir) : []
  if (run.runOptions.cooldown.temperatureMarginC !== null) await recordIdleTemperatures(slots.map((g) => g.uuid), gpuSensors)
  const toRun = orderExperiments(run.experiments.filter((x) => x.mode === 'run' && !opts.resume?.done.has(x.id)), run.runOptions.order, run.runOptions.orderSeed)
  const infos = run.experiments.map(experimentInfo)
  const manifest: Manifest = {
    schema_version: SCHEMA_VERSION,
    llem_version: version,
    run_id: runId,
    created_at: new Date(started).toISOString(),
    root_dir: rootDir,
    config_file: run.loaded.file,
    argv: redactArgv(opts.argv),
    environment: { machine: await collectMachineInfo(), node: process.version, gpu_slots: slots, slots_note: slotNote },
    run_options: redactSecrets({ ...run.runOptions, resumed: opts.resume !== undefined }),
    experiments: run.experiments.map(manifestEntry).concat(opts.resume?.kept ?? []),
  }
  await store.writeManifest(manifest)
  // sweeps and SLO searches: later members are made as earlier ones end (series-runner.ts)
  const series = new SeriesRunner(store, manifest, (line) => process.stderr.write(`llem: ${sanitiseText(line)}\n`))
  if (opts.resume) toRun.push(...(await series.resume(run.experiments, opts.resume.done, opts.resume.prior)))
  await dispatcher.emit('onPlan', infos)

  // after --resume the run's results are the ones it keeps (resume-state.ts) plus what runs now
  const results: AggregatedResult[] = [...(opts.resume?.prior ?? [])]
  const task = (x: Experiment, processIndex: number, numProcesses: number, othersRunning = false): SessionTask => ({ runId, runDir: store.runDir, rootDir, cacheDir: run.cacheDir, llemVersion: version, experiment: x, processIndex, numProcesses, othersRunning })
  // a file that cannot be written (a full disk) fails that file, not the run: its result still
  // reaches the reporters, and the end of the run names it and exits non-zero
  const failedWritesBefore = writeFailures().length
  const keepGoing = (p: Promise<void>) => p.catch(() => {})
  const finish = async (x: Experiment, raws: RawProcessResult[]) => {
    for (const raw of raws) await keepGoing(store.writeRaw(raw))
    const agg = aggregate(raws)
    await keepGoing(store.writeAggregated(agg))
    // a series member run again after --resume replaces its earlier result
    const earlier = results.findIndex((r) => r.experiment_id === agg.experiment_id)
    if (earlier >= 0) results.splice(earlier, 1)
    results.push(agg)
    await keepGoing(series.memberEnded(x, agg))
    await dispatcher.emit('onExperimentEnd', experimentInfo(x), agg)
    return agg
  }
  const lastGpus = new Map<string, number>()
  const placedOn = new Map<string, string[]>()
  const onEnd = async (x: Experiment, raws: RawProcessResult[], overlapped: Experiment[]) => {
    // the slots it was placed on, whether or not its probes measured them (a failed run heats a GPU too)
    for (const u of placedOn.get(x.id) ?? []) lastGpus.set(u, Date.now())
    if (overlapped.length) {
      const names = overlapped.map((o) => o.name)
      for (const r of raws) {
        r.shared_energy = { components: ['cpu', 'ram'], with_experiments: names }
        r.measurement_warnings.push(`ran at the same time as ${names.join(', ')}: CPU package and RAM energy cannot be split between experiments that overlap in time; cpu_energy_j and ram_energy_j are shared, not this experiment's alone`)
      }
    }
    return (await finish(x, raws)).status
  }
  const executor = run.runOptions.executor
  let outcome: { failures: number; interrupted: boolean }
  if (executor.name === 'slurm') {
    const { executeOnSlurm } = await import('../slurm/slurm-executor.js')
    const r = await executeOnSlurm(toRun, {
      options: executor,
      runId,
      runDir: store.runDir,
      rootDir,
      maxParallel: run.runOptions.maxParallel,
      interrupt: opts.interrupt,
      detach: opts.detach ?? false,
      llemCommand: executor.command ?? [process.execPath, path.join(packageRoot(), 'bin', 'llem.js')],
      task,
      onStart: (x) => dispatcher.emit('onExperimentStart', experimentInfo(x)),
      onEnd,
      // Slurm's own output (sbatch, squeue) is quoted in these lines
      log: (line) => process.stderr.write(`llem: ${sanitiseText(line)}\n`),
    })
    if (r.detached) return { runId, runDir: store.runDir, results, skipped: infos.filter((i) => i.mode === 'skip'), durationMs: Date.now() - started, status: 'passed', repeats: [], detached: { jobIds: r.jobIds } }
    outcome = r
  } else {
    outcome = await executeExperiments(toRun, {
      slots,
      maxParallel: run.runOptions.maxParallel ?? Math.max(1, slots.length),
      bail: run.runOptions.bail,
      interrupt: opts.interrupt,
      task,
      async onStart(x, gpus) {
        // cool-down only where the same GPUs (or the CPU) just ran another experiment
        const used = gpus.flat().map((g) => g.uuid)
        if ((used.length ? used : ['cpu']).some((u) => lastGpus.has(u))) await waitForCooldown(run.runOptions.cooldown, used, opts.interrupt, gpuSensors)
        placedOn.set(x.id, used.length ? used : ['cpu'])
        await dispatcher.emit('onExperimentStart', experimentInfo(x))
      },
      onProgress(x, m, t0) {
        void dispatcher.emit('onExperimentProgress', experimentInfo(x), { phase: m.phase, done: m.done, total: m.total, elapsedMs: Date.now() - t0 })
      },
      onEnd,
      async onNotRun(x, raw) {
        await finish(x, [raw])
      },
      follow: (x) => series.follow(x),
    })
  }
  const { failures, interrupted } = outcome
  const repeats = summariseRepeats(results)
  if (repeats.length) await keepGoing(writeFileAtomic(path.join(store.runDir, 'repeats.json'), JSON.stringify(repeats, null, 2) + '\n'))
  const summary: RunSummary = {
    runId,
    runDir: store.runDir,
    results,
    skipped: infos.filter((i) => i.mode === 'skip'),
    durationMs: Date.now() - started,
    status: interrupted ? 'interrupted' : failures > 0 ? 'failed' : 'passed',
    repeats,
    pareto: paretoSummary({ current: results }),
  }
  await dispatcher.emit('onRunEnd', summary)
  if (dispatcher.errors().length > 0 && summary.status === 'passed') summary.status = 'failed'
  const unwritten = [...new Map(writeFailures().slice(failedWritesBefore).map((f) => [f.file, f])).values()]
  if (unwritten.length) {
    if (summary.status === 'passed') summary.status = 'failed'
    process.stderr.write(`llem: ${unwritten.length} file(s) could not be written; each keeps its previous contents (or stays absent):\n${unwritten.map((f) => `  ${f.file}: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}\n`).join('')}`)
  }
  return summary
}
