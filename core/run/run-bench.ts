/**
 * Steps 5-8 on one CPU slot: each experiment in its own worker process, its raw result stored the
 * moment it arrives, aggregated, and handed to every reporter. A worker crash, a timeout or Ctrl-C is
 * recorded in the results, and the run goes on (or stops, with --bail / on interrupt).
 */
import path from 'node:path'
import { readFileSync } from 'node:fs'
import { collectMachineInfo } from '../env/machine.js'
import { emptyResult, type SessionTask } from '../measure/result-shell.js'
import type { Experiment } from '../plan/plan.js'
import { packageRoot } from '../package-root.js'
import { builtinReporters } from '../reporters/builtin-reporters.js'
import { createDispatcher } from '../reporters/dispatch.js'
import { loadReporters } from '../reporters/load-reporters.js'
import type { ExperimentInfo, RunSummary } from '../reporters/types.js'
import { aggregate } from '../results/aggregate.js'
import { SCHEMA_VERSION, type AggregatedResult, type RawProcessResult } from '../results/schema.js'
import { newRunId, RunStore } from '../results/store.js'
import { SlotPool } from './pool.js'
import type { ResolvedRun } from './resolve-run.js'

export function llemVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

export function experimentInfo(x: Experiment): ExperimentInfo {
  return { id: x.id, name: x.name, bench: x.bench, task_hash: x.task_hash, repeat_index: x.repeat_index, mode: x.mode, effective_config: x.config as unknown as Record<string, unknown> }
}

export interface BenchRunOptions {
  argv: string[]
  verbose: boolean
  stdout: NodeJS.WritableStream
  isTTY: boolean
  /** aborted on SIGINT / SIGTERM */
  interrupt: AbortSignal
}

export async function runBench(run: ResolvedRun, opts: BenchRunOptions): Promise<RunSummary> {
  const started = Date.now()
  const version = llemVersion()
  const rootDir = run.loaded.rootDir
  const runId = newRunId()
  const runDir = path.join(path.resolve(rootDir, run.runOptions.resultsDir), runId)
  const base = { runId, runDir, rootDir, configFile: run.loaded.file, stdout: opts.stdout, isTTY: opts.isTTY, verbose: opts.verbose }
  const reporters = await loadReporters(run.runOptions.reporters, base, { outputFile: run.runOptions.outputFile, builtins: builtinReporters })
  // reporters load first: a bad reporter spec is bad input and must leave no empty run directory
  const store = await RunStore.create(path.dirname(runDir), runId)
  const dispatcher = createDispatcher(reporters)
  // each loaded reporter receives its own context (options, outputFile); `base` only reaches others
  await dispatcher.emit('onInit', { ...base, options: {}, outputFile: null })
  const infos = run.experiments.map(experimentInfo)
  await store.writeManifest({
    schema_version: SCHEMA_VERSION,
    llem_version: version,
    run_id: runId,
    created_at: new Date(started).toISOString(),
    root_dir: rootDir,
    config_file: run.loaded.file,
    argv: opts.argv,
    environment: { machine: await collectMachineInfo(), node: process.version },
    experiments: run.experiments.map((x) => ({ id: x.id, name: x.name, task_hash: x.task_hash, bench: x.bench.full_name, mode: x.mode, effective_config: x.config as unknown as Record<string, unknown> })),
  })
  await dispatcher.emit('onPlan', infos)

  const pool = new SlotPool({ id: 'cpu', env: {} })
  const results: AggregatedResult[] = []
  let failures = 0
  let interrupted = false
  try {
    for (const x of run.experiments) {
      if (x.mode === 'skip') continue
      const info = experimentInfo(x)
      const task: SessionTask = { runId, runDir: store.runDir, rootDir, cacheDir: run.cacheDir, llemVersion: version, experiment: x, processIndex: 0 }
      if (opts.interrupt.aborted) {
        interrupted = true
        const raw = failedRaw(task, 'interrupted', 'INTERRUPTED', 'the run was interrupted before this experiment started', 'plan')
        await store.writeRaw(raw)
        const agg = aggregate([raw])
        await store.writeAggregated(agg)
        results.push(agg)
        // file reporters list every planned experiment, the ones never started included
        await dispatcher.emit('onExperimentEnd', info, agg)
        continue
      }
      await dispatcher.emit('onExperimentStart', info)
      const t0 = Date.now()
      const raw = await runOne(pool, task, x.config.timeout, opts.interrupt, (m) =>
        dispatcher.emit('onExperimentProgress', info, { phase: m.phase, done: m.done, total: m.total, elapsedMs: Date.now() - t0 }),
      )
      await store.writeRaw(raw)
      const agg = aggregate([raw])
      await store.writeAggregated(agg)
      results.push(agg)
      await dispatcher.emit('onExperimentEnd', info, agg)
      if (agg.status === 'interrupted') interrupted = true
      else if (agg.status !== 'completed') failures++
      if (run.runOptions.bail > 0 && failures >= run.runOptions.bail) break
    }
  } finally {
    await pool.destroy()
  }
  const summary: RunSummary = {
    runId,
    runDir: store.runDir,
    results,
    skipped: infos.filter((i) => i.mode === 'skip'),
    durationMs: Date.now() - started,
    status: interrupted ? 'interrupted' : failures > 0 ? 'failed' : 'passed',
  }
  await dispatcher.emit('onRunEnd', summary)
  if (dispatcher.errors().length > 0 && summary.status === 'passed') summary.status = 'failed'
  return summary
}

async function runOne(
  pool: SlotPool,
  task: SessionTask,
  timeoutMs: number,
  interrupt: AbortSignal,
  onProgress: Parameters<SlotPool['run']>[1]['onProgress'],
): Promise<RawProcessResult> {
  const controller = new AbortController()
  let reason: 'timeout' | 'interrupt' | null = null
  const timer = setTimeout(() => {
    reason = 'timeout'
    controller.abort()
  }, timeoutMs)
  const onInterrupt = () => {
    reason ??= 'interrupt'
    controller.abort()
  }
  interrupt.addEventListener('abort', onInterrupt, { once: true })
  try {
    return await pool.run(task, { signal: controller.signal, onProgress })
  } catch (e) {
    if (reason === 'timeout') return failedRaw(task, 'failed', 'TIMEOUT', `experiment exceeded its timeout of ${timeoutMs} ms; the worker was killed`, 'worker')
    if (reason === 'interrupt') return failedRaw(task, 'interrupted', 'INTERRUPTED', 'interrupted (SIGINT/SIGTERM); the worker was killed', 'worker')
    const message = e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e)
    return failedRaw(task, 'failed', 'WORKER_FAILED', `worker process failed: ${message}`, 'worker')
  } finally {
    clearTimeout(timer)
    interrupt.removeEventListener('abort', onInterrupt)
  }
}

function failedRaw(task: SessionTask, status: 'failed' | 'interrupted', code: string, message: string, phase: string): RawProcessResult {
  const raw = emptyResult(task, new Date())
  raw.status = status
  raw.error = { code, message, phase }
  return raw
}
