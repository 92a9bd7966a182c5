/**
 * The steps of `runBench` (run-bench.ts), in the order of docs/methodology.md's "The run": open the run
 * (reporters, run directory), find the slots, write the manifest, record each result as it ends, end
 * the run (repeats, onRunEnd, files that could not be written). Each is one function over `OpenRun`.
 */
import path from 'node:path'
import { probesRecord } from '../config/normalise.js'
import { collectMachineInfo } from '../env/machine.js'
import type { Experiment } from '../plan/plan.js'
import { builtinReporters } from '../reporters/builtin-reporters.js'
import { createDispatcher, type Dispatcher } from '../reporters/dispatch.js'
import { loadReporters } from '../reporters/load-reporters.js'
import type { ExperimentInfo, RunSummary } from '../reporters/types.js'
import { aggregate } from '../results/aggregate.js'
import { FileWriteError, recordWriteFailure, writeFailures, writeFileAtomic } from '../results/atomic-write.js'
import { paretoSummary } from '../results/pareto.js'
import { redactArgv, redactSecrets } from '../results/redact.js'
import { summariseRepeats } from '../results/repeat-stats.js'
import type { ResumeState } from '../results/resume-state.js'
import { SCHEMA_VERSION, type AggregatedResult, type Manifest, type RawProcessResult } from '../results/schema.js'
import { RunStore } from '../results/store.js'
import { TIMELINE_NOT_WRITTEN, timelineFile } from '../results/timeline-file.js'
import { recordIdleTemperatures } from './cooldown.js'
import type { ExecutionHooks } from './executor.js'
import { gpuProbes, type GpuProbe } from './gpu-probes.js'
import type { ResolvedRun } from './resolve-run.js'
import { manifestEntry, type SeriesRunner } from './series-runner.js'
import { discoverGpuSlots, type GpuSlot } from './slots.js'

export interface OpenRun {
  runId: string
  store: RunStore
  dispatcher: Dispatcher
  startedAt: number
  /** what reporters' `onInit` was given */
  base: { runId: string; runDir: string; rootDir: string; configFile: string | null; stdout: NodeJS.WritableStream; isTTY: boolean; verbose: boolean }
}

/** Reporters loaded, then the run directory created, then onInit. */
export async function openRun(run: ResolvedRun, runId: string, o: { stdout: NodeJS.WritableStream; isTTY: boolean; verbose: boolean }): Promise<OpenRun> {
  const startedAt = Date.now()
  const runDir = path.join(run.runOptions.resultsDir, runId)
  const base = { runId, runDir, rootDir: run.loaded.rootDir, configFile: run.loaded.file, stdout: o.stdout, isTTY: o.isTTY, verbose: o.verbose }
  const reporters = await loadReporters(run.runOptions.reporters, base, { outputFile: run.runOptions.outputFile, builtins: builtinReporters, specsFrom: run.reportersFrom, outputFileFrom: run.outputFileFrom })
  // reporters load first: a bad reporter spec is bad input and must leave no empty run directory
  const store = await RunStore.create(path.dirname(runDir), runId)
  const dispatcher = createDispatcher(reporters)
  // each loaded reporter receives its own context (options, outputFile); `base` only reaches others
  await dispatcher.emit('onInit', { ...base, options: {}, outputFile: null })
  return { runId, store, dispatcher, startedAt, base }
}

/** The GPU slots this run may use, and (for a cool-down by temperature) their idle temperatures. */
export async function findSlots(run: ResolvedRun): Promise<{ slots: GpuSlot[]; note: string; gpuSensors: GpuProbe[] }> {
  const probeConfig = probesRecord(run.loaded.config.probes)
  const { slots, note } = await discoverGpuSlots(run.runOptions.devices, process.env, probeConfig, run.loaded.rootDir)
  const byTemperature = run.runOptions.cooldown.temperatureMarginC !== null
  const gpuSensors = byTemperature ? await gpuProbes(probeConfig, run.loaded.rootDir) : []
  if (byTemperature) await recordIdleTemperatures(slots.map((g) => g.uuid), gpuSensors)
  return { slots, note, gpuSensors }
}

export async function writeManifest(r: OpenRun, run: ResolvedRun, o: { version: string; argv: string[]; resume?: Pick<ResumeState, 'kept'> }, slots: { slots: GpuSlot[]; note: string }): Promise<Manifest> {
  const manifest: Manifest = {
    schema_version: SCHEMA_VERSION,
    llem_version: o.version,
    run_id: r.runId,
    created_at: new Date(r.startedAt).toISOString(),
    root_dir: run.loaded.rootDir,
    config_file: run.loaded.file,
    argv: redactArgv(o.argv),
    environment: { machine: await collectMachineInfo(), node: process.version, gpu_slots: slots.slots, slots_note: slots.note },
    run_options: redactSecrets({ ...run.runOptions, resumed: o.resume !== undefined }),
    experiments: run.experiments.map(manifestEntry).concat(o.resume?.kept ?? []),
  }
  await r.store.writeManifest(manifest)
  return manifest
}

/**
 * The hooks that store each result the moment it arrives, aggregate it, tell the series and the
 * reporters. A file that cannot be written (a full disk) fails that file, not the run: its result
 * still reaches the reporters, and endRun names it and fails the run.
 */
export function recordResults(r: OpenRun, series: SeriesRunner, results: AggregatedResult[], info: (x: Experiment) => ExperimentInfo, log: (line: string) => void): ExecutionHooks {
  const keepGoing = (p: Promise<void>) => p.catch(() => {})
  // progress events go to the reporters one after another, each awaited (a slow or async hook never
  // runs beside itself or reorders them), and all of an experiment's are delivered before its end
  let progress: Promise<void> = Promise.resolve()
  const finish = async (x: Experiment, raws: RawProcessResult[]) => {
    for (const raw of raws) {
      // the worker could not write its timeline: named with the run's other unwritten files
      const unwritten = raw.measurement_warnings.find((w) => w.startsWith(TIMELINE_NOT_WRITTEN))
      if (unwritten) recordWriteFailure(new FileWriteError(path.join(r.store.runDir, timelineFile(raw.experiment_id, raw.process_index)), new Error(unwritten)))
      await keepGoing(r.store.writeRaw(raw))
    }
    const agg = aggregate(raws)
    await keepGoing(r.store.writeAggregated(agg))
    // a series member run again after --resume replaces its earlier result
    const earlier = results.findIndex((e) => e.experiment_id === agg.experiment_id)
    if (earlier >= 0) results.splice(earlier, 1)
    results.push(agg)
    await keepGoing(series.memberEnded(x, agg))
    await progress
    await r.dispatcher.emit('onExperimentEnd', info(x), agg)
    return agg
  }
  return {
    onStart: (x) => r.dispatcher.emit('onExperimentStart', info(x)),
    onProgress(x, m, t0) {
      const event = { phase: m.phase, done: m.done, total: m.total, elapsedMs: Date.now() - t0 }
      // emit() records a hook's failure itself (named, exit 1); it never rejects
      progress = progress.then(() => r.dispatcher.emit('onExperimentProgress', info(x), event))
    },
    async onEnd(x, raws, overlapped) {
      if (overlapped.length) {
        const names = overlapped.map((o) => o.name)
        for (const raw of raws) {
          raw.shared_energy = { components: ['cpu', 'ram'], with_experiments: names }
          raw.measurement_warnings.push(`ran at the same time as ${names.join(', ')}: CPU package and RAM energy cannot be split between experiments that overlap in time; cpu_energy_j and ram_energy_j are shared, not this experiment's alone`)
        }
      }
      return (await finish(x, raws)).status
    },
    async onNotRun(x, raw) {
      await finish(x, [raw])
    },
    follow: (x) => series.follow(x),
    log,
  }
}

/** Repeats summarised (repeats.json), onRunEnd, and the run failed for a reporter or a file that failed. */
export async function endRun(r: OpenRun, o: { results: AggregatedResult[]; skipped: ExperimentInfo[]; failures: number; interrupted: boolean; failedWritesBefore: number }): Promise<RunSummary> {
  const { results } = o
  const repeats = summariseRepeats(results)
  if (repeats.length) await writeFileAtomic(path.join(r.store.runDir, 'repeats.json'), JSON.stringify(redactSecrets(repeats), null, 2) + '\n').catch(() => {})
  // what the reports say the run was: a reporter that failed before now, or a file not written, fails
  // it as the exit code will (a failure inside onRunEnd itself only reaches the exit code and stderr)
  const failedBefore = r.dispatcher.errors().length > 0 || writeFailures().length > o.failedWritesBefore
  const summary: RunSummary = {
    runId: r.runId,
    runDir: r.store.runDir,
    results,
    skipped: o.skipped,
    durationMs: Date.now() - r.startedAt,
    status: o.interrupted ? 'interrupted' : o.failures > 0 || failedBefore ? 'failed' : 'passed',
    repeats,
    pareto: paretoSummary({ current: results }),
  }
  await r.dispatcher.emit('onRunEnd', summary)
  if (r.dispatcher.errors().length > 0 && summary.status === 'passed') summary.status = 'failed'
  const unwritten = [...new Map(writeFailures().slice(o.failedWritesBefore).map((f) => [f.file, f])).values()]
  if (unwritten.length) {
    if (summary.status === 'passed') summary.status = 'failed'
    process.stderr.write(`llem: ${unwritten.length} file(s) could not be written; each keeps its previous contents (or stays absent):\n${unwritten.map((f) => `  ${f.file}: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}\n`).join('')}`)
  }
  return summary
}
