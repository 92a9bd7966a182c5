/**
 * `llem report <run-dir | run-id> [--reporter X ...] [--outputFile path | --outputFile.X path]`: any
 * report, rebuilt after the fact from a run's raw results, so a format can be added after a GPU run
 * without running it again. Reporters get the events a live run sends, in the same order (onInit,
 * onPlan, then onExperimentStart / onExperimentEnd per experiment in the order they ran, onRunEnd, and
 * no start for an experiment that never started: kept from running by Ctrl-C, --bail or no GPUs);
 * only onExperimentProgress is not replayed, as progress is not stored. Exit 0, 1 when a reporter
 * threw, 2 on bad input (no such run, a corrupt or foreign file: named).
 */
import path from 'node:path'
import { acquireLock, locateRun, readRunDir } from '../../results/run-dir.js'
import { RUN_DEFAULTS, type ResolvedRunOptions } from '../../config/defaults.js'
import { resultsDirFlag, resultsDirLookup } from '../../results/results-dir.js'
import { loadConfig } from '../../config/load-config.js'
import { InputError } from '../../errors.js'
import { builtinReporters } from '../../reporters/builtin-reporters.js'
import { createDispatcher } from '../../reporters/dispatch.js'
import { loadReporters } from '../../reporters/load-reporters.js'
import type { ExperimentInfo, RunSummary } from '../../reporters/types.js'
import { redactSecrets } from '../../results/redact.js'
import { neverStarted, runStatus } from '../../results/run-status.js'
import { paretoSummary } from '../../results/pareto.js'
import { summariseRepeats } from '../../results/repeat-stats.js'
import type { AggregatedResult, Manifest } from '../../results/schema.js'
import { maxOf, minOf } from '../../stats/extent.js'
import type { CommonFlags } from '../flags.js'

type ReportOptions = Pick<ResolvedRunOptions, 'reporters' | 'outputFile'>

/** `--outputFile.<reporter> <path>` arrives as a dotted option; anything else is not for this command. */
export function reportFlags(flags: CommonFlags, options: Record<string, string | boolean>): Partial<ReportOptions> {
  const record: Record<string, string> = {}
  for (const [key, value] of Object.entries(options)) {
    const m = /^(?:outputFile|output-file)\.(.+)$/.exec(key)
    if (!m) throw new InputError('CONFIG_INVALID', `command line: llem report takes no option --${key} (it re-renders a stored run; options: --reporter, --outputFile[.<reporter>], --results-dir, --config)`, { where: key })
    if (typeof value !== 'string' || value === '') throw new InputError('CONFIG_INVALID', `command line: --${key}: expected a path`, { where: key })
    record[m[1]] = value
  }
  if (flags.outputFile !== undefined && Object.keys(record).length)
    throw new InputError('CONFIG_INVALID', 'command line: give either --outputFile <path> (every file reporter) or --outputFile.<reporter> <path>, not both')
  const reporters = flags.reporter === undefined ? undefined : (Array.isArray(flags.reporter) ? flags.reporter : [flags.reporter]).map(String)
  const outputFile = flags.outputFile !== undefined ? String(flags.outputFile) : Object.keys(record).length ? record : undefined
  return { reporters, outputFile }
}

/** What a live run's experimentInfo() gives, rebuilt from the stored result (and the manifest's redacted config). */
function infoFromResult(r: AggregatedResult, planned: Manifest['experiments'][number] | undefined): ExperimentInfo {
  return { id: r.experiment_id, name: r.experiment_name, bench: r.bench, task_hash: r.task_hash, repeat_index: r.repeat_index, mode: 'run', effective_config: redactSecrets(planned?.effective_config ?? r.effective_config) }
}

/** An experiment that never ran (skipped, or kept from starting by --bail): the manifest is all there is. */
function infoFromManifest(x: Manifest['experiments'][number]): ExperimentInfo {
  const parts = x.bench.split(' > ')
  const repeat = /#(\d+)$/.exec(x.name)
  // manifests before bench_file/bench_location were recorded leave them empty
  return { id: x.id, name: x.name, bench: { file: x.bench_file ?? '', name: parts[parts.length - 1], full_name: x.bench, location: x.bench_location ?? '', ...(x.bench_from_flags ? { from_flags: true as const } : {}) }, task_hash: x.task_hash, repeat_index: x.repeat_index ?? (repeat ? Number(repeat[1]) : 1), mode: x.mode, effective_config: x.effective_config }
}

export async function reportCommand(name: string, flags: CommonFlags, options: Record<string, string | boolean>): Promise<number> {
  const cwd = process.cwd()
  const cli = reportFlags(flags, options)
  const loaded = await loadConfig({ cwd, configPath: flags.config })
  const resultsDir = resultsDirLookup({ flag: resultsDirFlag(flags), env: process.env, cwd, config: async () => ({ resultsDir: loaded.config.resultsDir, rootDir: loaded.rootDir }) })
  const where = await locateRun(String(name), cwd, resultsDir)
  if (where.kind !== 'run-dir') throw new InputError('RESULTS_INVALID', `${where.path}: llem report rebuilds from a run directory's raw results; give the run directory, not a results file`, { file: where.path })
  // a run another llem is writing (a run in progress, a --resume) is not replayed half-way: its
  // results.json would say a run passed with half its experiments. The lock is the results directory's
  const lock = await lockForReport(path.dirname(where.path), where.path)
  try {
    return await replay(where.path, loaded, cli, flags)
  } finally {
    lock?.release()
  }
}

/**
 * The results directory's lock, held while the reports are written. Another llem holding it is
 * refused (its run may be this one). Where no lock can be taken (a read-only directory, a run copied
 * somewhere that is no results directory) the run is reported without one, as before.
 */
async function lockForReport(resultsDir: string, runDir: string): Promise<{ release(): void } | null> {
  try {
    const lock = await acquireLock(resultsDir)
    if (lock.recovered) process.stderr.write(`llem: ${lock.recovered}\n`)
    return lock
  } catch (e) {
    if (e instanceof InputError && e.code === 'RESULTS_LOCKED') throw new InputError('RESULTS_LOCKED', `${runDir}: not reported while another llem writes to its results directory (its run may be this one); report it once that llem has ended. ${e.message}`, { file: e.file })
    return null
  }
}

async function replay(runPath: string, loaded: Awaited<ReturnType<typeof loadConfig>>, cli: Partial<ReportOptions>, flags: CommonFlags): Promise<number> {
  const run = readRunDir(runPath)
  const manifest = run.manifest!
  const base = { runId: run.runId, runDir: run.path, rootDir: loaded.rootDir, configFile: loaded.file, stdout: process.stdout, isTTY: !!process.stdout.isTTY, verbose: !!flags.verbose }
  const reporters = await loadReporters(cli.reporters ?? loaded.config.reporters ?? RUN_DEFAULTS.reporters, base, {
    outputFile: cli.outputFile !== undefined ? cli.outputFile : (loaded.config.outputFile ?? RUN_DEFAULTS.outputFile),
    builtins: builtinReporters,
    specsFrom: cli.reporters !== undefined ? 'command line' : loaded.file,
    outputFileFrom: cli.outputFile !== undefined ? 'command line' : loaded.file,
  })
  const dispatcher = createDispatcher(reporters)
  const planned = new Map(manifest.experiments.map((x) => [x.id, x]))
  const byId = new Map(run.results.map((r) => [r.experiment_id, r]))
  const infos = [
    ...manifest.experiments.map((x) => (byId.has(x.id) ? infoFromResult(byId.get(x.id)!, x) : infoFromManifest(x))),
    // results the manifest does not list (an older manifest rewritten by a --resume with a narrower plan)
    ...run.results.filter((r) => !planned.has(r.experiment_id)).map((r) => infoFromResult(r, undefined)),
  ]
  await dispatcher.emit('onInit', { ...base, options: {}, outputFile: null })
  await dispatcher.emit('onPlan', infos)
  for (const r of run.results) {
    const info = infoFromResult(r, planned.get(r.experiment_id))
    // the live run sent no start for an experiment it never handed to a worker
    if (!neverStarted(r)) await dispatcher.emit('onExperimentStart', info)
    await dispatcher.emit('onExperimentEnd', info, r)
  }
  // planned to run and no result: the run never finished (killed, or still running elsewhere, a
  // detached Slurm array). It did not pass (runStatus), and they are named
  const unfinished = manifest.experiments.filter((x) => x.mode === 'run' && !byId.has(x.id))
  if (unfinished.length > 0)
    process.stderr.write(`llem: ${unfinished.length} of the run's planned experiments have no result (the run did not finish: killed, or still running; \`llem bench --resume\` runs them): ${unfinished.slice(0, 5).map((x) => x.name).join(', ')}${unfinished.length > 5 ? ', ...' : ''}\n`)
  const started = Math.min(Date.parse(manifest.created_at), minOf(run.results.map((r) => Date.parse(r.start_time))))
  const ended = Math.max(started, maxOf(run.results.map((r) => Date.parse(r.end_time))))
  const summary: RunSummary = {
    runId: run.runId,
    runDir: run.path,
    results: run.results,
    skipped: infos.filter((i) => i.mode === 'skip'),
    durationMs: Number.isFinite(ended - started) ? ended - started : 0,
    status: runStatus(run.results, unfinished.length),
    repeats: summariseRepeats(run.results),
    pareto: paretoSummary({ current: run.results }),
  }
  await dispatcher.emit('onRunEnd', summary)
  return dispatcher.errors().length > 0 ? 1 : 0
}
