/** `llem bench [filters]`: resolve, plan, run, report; exit 0 / 1 / 2 / 130. */
import path from 'node:path'
import { InputError } from '../../errors.js'
import { resumeState, type ResumeState } from '../../results/resume-state.js'
import { acquireLock, findRun } from '../../results/run-dir.js'
import { listBenchNames, resolveRun, type ResolvedRun } from '../../run/resolve-run.js'
import { runBench } from '../../run/run-bench.js'
import { sanitiseLine } from '../../text/sanitise-terminal.js'
import type { StoredRun } from '../../compare/stored-run.js'
import type { CommonFlags } from '../flags.js'
import { printPlan } from '../plan-output.js'
import { runRequest } from '../run-request.js'

async function loadBaseline(flags: CommonFlags, resultsDir: string): Promise<StoredRun | undefined> {
  if (flags.compare === undefined) {
    if (flags.threshold !== undefined) throw new InputError('CONFIG_INVALID', 'command line: --threshold needs --compare <baseline> (or use llem compare)')
    return undefined
  }
  const { parseThresholds } = await import('../../compare/thresholds.js')
  parseThresholds(flags.threshold)
  const { loadStoredRun } = await import('../../compare/stored-run.js')
  return loadStoredRun(String(flags.compare), process.cwd(), async () => resultsDir)
}

export async function benchCommand(filters: string[], flags: CommonFlags, options: Record<string, string | boolean>, argv: string[]): Promise<number> {
  const req = runRequest(filters, flags, options)
  const run = await resolveRun(req)
  if (flags.detach && run.runOptions.executor.name !== 'slurm') throw new InputError('CONFIG_INVALID', 'command line: --detach needs the slurm executor (--executor slurm): a local run ends when llem does')
  const runnable = run.experiments.filter((x) => x.mode === 'run')
  if (run.experiments.length === 0 && run.shard && run.shard.planned > 0) {
    // more shards than experiments: this one has nothing, which is no mistake in the benches
    const msg = `shard ${run.shard.index}/${run.shard.count} has none of the ${run.shard.planned} planned experiment${run.shard.planned === 1 ? '' : 's'} (each experiment with its repeats goes to one shard)`
    if (run.runOptions.passWithNoTests) {
      process.stderr.write(`llem: ${msg}; passing (--passWithNoTests)\n`)
      return 0
    }
    process.stderr.write(`llem: ${msg}; use fewer shards, or --passWithNoTests to pass\n`)
    return 1
  }
  if (run.experiments.length === 0) {
    const all = filters.length || req.namePattern ? await resolveRun({ ...req, filters: [], namePattern: undefined }) : run
    const names = listBenchNames(all.benches, all.loaded.rootDir)
    const what = [filters.length ? `filters ${filters.map((f) => JSON.stringify(f)).join(' ')}` : '', req.namePattern ? `-t ${JSON.stringify(req.namePattern)}` : ''].filter(Boolean).join(' and ')
    process.stderr.write(`llem: no benches found${what ? ` matching ${what}` : ''} (include: ${run.runOptions.include.join(', ')})\n`)
    // a matched file that declares nothing is its own case: "no bench files" would send the user looking for the file
    const root = run.loaded.rootDir
    for (const f of run.files.filter((file) => !run.benches.some((b) => b.file === file)))
      process.stderr.write(`${path.relative(root, f)}: declares no bench (bench(), describe() with benches, or a defineBench default export)\n`)
    if (names.length) process.stderr.write(`benches:\n${names.map((n) => `  ${n}`).join('\n')}\n`)
    else if (all.files.length === 0)
      process.stderr.write('no bench files were found at all: `llem init` writes a first one, or run one experiment from flags alone:\n  llem bench --backend.name openai --backend.baseURL http://localhost:8000/v1 --model <served model name>\n')
    if (run.runOptions.passWithNoTests) {
      process.stderr.write('passing: nothing to run, and --passWithNoTests (config passWithNoTests) says that is fine\n')
      return 0
    }
    return 1
  }
  // bad model paths and dataset files are bad input: fail before anything runs
  for (const x of runnable) {
    const { name, ...opts } = x.config.backend!
    await run.backends[name].validate?.({ options: opts, model: x.config.model, baseDir: run.loaded.rootDir, where: modelWhere(x, options) })
    if (!x.config.dataset) throw new InputError('BENCH_INVALID', `${x.bench.location}: bench("${x.bench.name}") has no dataset: set \`dataset\` (prompts, file or synthetic)`)
    if (!x.config.dataset.synthetic) {
      const { loadDataset } = await import('../../workload/dataset.js')
      // the file and its column mapping; prompts generated to a length column wait for the model's tokenizer
      await loadDataset(x.config.dataset, { baseDir: run.loaded.rootDir, checkOnly: true })
    }
  }
  const { carbonIntensity, knownCountries } = await import('../../measure/emissions.js')
  for (const x of runnable)
    if (carbonIntensity(x.config.measurement.carbon) === null)
      throw new InputError('CONFIG_INVALID', `${x.bench.location}: measurement.carbon.country: unknown ISO 3166 alpha-3 code "${x.config.measurement.carbon.country}" (e.g. ${knownCountries().slice(0, 5).join(', ')}, ...)`)
  // absolute: resolveRun applied the one rule (results/results-dir.ts)
  const resultsDir = run.runOptions.resultsDir
  // the baseline and the thresholds are input like any other: a typo must cost nothing, not a whole run
  const baseline = await loadBaseline(flags, resultsDir)
  // reporters are input too (an unknown name, one outputFile for several file reporters): refused
  // before the lock creates the results directory, and by --dry-run, as a real run would refuse them
  await checkReporters(run, resultsDir)
  if (flags.dryRun) {
    // a run to resume is looked up now, so a CI "validate" step catches a wrong id
    if (flags.resume !== undefined) findRun(resultsDir, flags.resume === true ? 'latest' : String(flags.resume))
    // the GPUs --gpus names must exist, as the real run checks before its first experiment
    const { probesRecord } = await import('../../config/normalise.js')
    const { discoverGpuSlots } = await import('../../run/slots.js')
    await discoverGpuSlots(run.runOptions.devices, process.env, probesRecord(run.loaded.config.probes), run.loaded.rootDir)
    printPlan(run)
    // the warnings a real run records in each result, shown now (stderr: the plan on stdout stays parseable)
    for (const x of runnable) for (const w of x.config_warnings) process.stderr.write(`llem: warning: ${sanitiseLine(x.name)}: ${w}\n`)
    return 0
  }
  const lock = await acquireLock(resultsDir)
  if (lock.recovered) process.stderr.write(`llem: ${lock.recovered}\n`)
  const interrupt = new AbortController()
  let signals = 0
  const onSignal = (sig: NodeJS.Signals) => {
    signals++
    if (signals > 1) {
      lock.release()
      process.exit(130)
    }
    process.stderr.write(`\nllem: ${sig} received, stopping (press Ctrl-C again to quit at once)\n`)
    interrupt.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    let resume: ResumeState | undefined
    if (flags.resume !== undefined) {
      resume = resumeState(findRun(resultsDir, flags.resume === true ? 'latest' : String(flags.resume)), run.experiments)
      // problems name files and quote their contents: the run directory is not trusted
      for (const p of resume.problems) process.stderr.write(`llem: ${sanitiseLine(p)}: its experiment runs again\n`)
      const kept = resume.kept.length ? `; ${resume.kept.length} other experiment${resume.kept.length === 1 ? '' : 's'} of that run (not selected now) kept as ${resume.kept.length === 1 ? 'it was' : 'they were'}` : ''
      process.stderr.write(`llem: resuming ${resume.runId}: ${resume.done.size} of ${runnable.length} experiments already completed${kept}\n`)
    }
    const summary = await runBench(run, { argv, verbose: !!flags.verbose, stdout: process.stdout, isTTY: !!process.stdout.isTTY, interrupt: interrupt.signal, resume, detach: !!flags.detach })
    if (summary.detached) {
      const rel = path.relative(process.cwd(), summary.runDir) || '.'
      process.stdout.write(`submitted to Slurm as job ${summary.detached.jobIds.join(', ')}; results go to ${rel}\n  llem status ${rel}    where each task stands\n  llem report ${rel}    the reports, once the tasks have ended\n`)
      return 0
    }
    const code = summary.status === 'interrupted' ? 130 : summary.status === 'failed' ? 1 : 0
    // an interrupted run has nothing whole to compare; a failed one keeps its own exit code
    if (!baseline || summary.status === 'interrupted') return code
    const { compareAgainst, describeRunDir } = await import('../../compare/report-comparison.js')
    const cwd = process.cwd()
    process.stdout.write('\n')
    const o = { json: false, markdown: false, stdout: process.stdout, env: process.env, rootDir: run.loaded.rootDir }
    const compared = await compareAgainst(baseline, summary.results, describeRunDir(summary.runDir, summary.results.length, cwd), flags.threshold, o, cwd)
    return code || compared
  } finally {
    lock.release()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Loads the reporters as the run will (nothing is written: no hook is called), to refuse bad ones early. */
async function checkReporters(run: ResolvedRun, resultsDir: string): Promise<void> {
  const { loadReporters } = await import('../../reporters/load-reporters.js')
  const { builtinReporters } = await import('../../reporters/builtin-reporters.js')
  const base = { runId: '(not started)', runDir: path.join(resultsDir, '(not started)'), rootDir: run.loaded.rootDir, configFile: run.loaded.file, stdout: process.stdout, isTTY: !!process.stdout.isTTY, verbose: false }
  await loadReporters(run.runOptions.reporters, base, { outputFile: run.runOptions.outputFile, builtins: builtinReporters })
}

/**
 * Who to blame for the model a backend rejects: the flag or variable that set it (its provenance says
 * where it came from), else the bench's file:line. The messages it prefixes are all about the model.
 */
function modelWhere(x: ResolvedRun['experiments'][number], options: Record<string, string | boolean>): string {
  const p = x.provenance['model'] ?? Object.entries(x.provenance).find(([k]) => k.startsWith('model.'))?.[1]
  const isModelKey = (k: string) => k === 'model' || k.startsWith('model.')
  if (p?.source === 'cli') return `command line ${Object.keys(options).filter(isModelKey).map((k) => `--${k}`).join(' ') || '--model'}`
  if (p?.source === 'env') return `environment ${Object.keys(process.env).filter((k) => /^LLEM_MODEL(__|$)/.test(k)).join(' ') || 'LLEM_MODEL'}`
  // set in the config file (its path relative to the root) or a describe() block (its file:line)
  if (p?.source === 'config') return `${p.source_detail ?? 'config'}: ${Object.keys(x.provenance).find(isModelKey) ?? 'model'}`
  if (p?.source === 'describe' && p.source_detail) return p.source_detail
  return x.bench.location
}
