/**
 * The input checks of `llem bench`, before anything runs or is written: a bad model path, dataset
 * file, carbon country, reporter or baseline is bad input (exit 2) that must cost nothing, not a whole
 * run. `--dry-run` makes the same checks, plus those a real run makes before its first experiment.
 */
import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'
import { blameFrom, placeOf } from '../config/blame.js'
import { InputError } from '../errors.js'
import type { StoredRun } from '../results/run-dir.js'
import type { ResolvedRun } from './resolve-run.js'

type PlannedExperiment = ResolvedRun['experiments'][number]

const NO_MODEL = {}

/** Backends' own checks (model paths), datasets (the file and its columns), carbon countries. */
export async function checkExperiments(run: ResolvedRun, cli: { optionKeys: string[]; env: NodeJS.ProcessEnv }): Promise<void> {
  const runnable = run.experiments.filter((x) => x.mode === 'run')
  // a plan's experiments share their config sections (a sweep's points, repeats): a backend and model,
  // or a dataset, checked once is not checked again (10,000 points read one dataset file once)
  const checkedModels = new Map<object, Set<unknown>>()
  const checkedDatasets = new Set<unknown>()
  for (const x of runnable) {
    const backend = x.config.backend!
    const models = checkedModels.get(backend) ?? new Set<unknown>()
    checkedModels.set(backend, models)
    // a model section (an object shared by the points) or a name
    const model = x.config.model ?? NO_MODEL
    if (!models.has(model)) {
      const { name, ...raw } = backend
      // validate() gets its options as start() will: parsed by the backend's schema, defaults filled in
      // (the options were checked against it when the run was resolved, so this parse succeeds)
      const schema = run.backends[name].options
      const opts = (schema ? schema.safeParse(raw).data ?? raw : raw) as Record<string, unknown>
      // the blame is worked out only for a message: it reads the experiment's whole provenance
      await run.backends[name].validate?.({ options: opts, model: x.config.model, baseDir: run.loaded.rootDir, get where() { return modelWhere(x, cli) } })
      models.add(model)
    }
    if (!x.config.dataset) throw new InputError('BENCH_INVALID', `${x.bench.location}: bench("${x.bench.name}") has no dataset: set \`dataset\` (prompts, file or synthetic)`)
    if (checkedDatasets.has(x.config.dataset)) continue
    checkedDatasets.add(x.config.dataset)
    if (!x.config.dataset.synthetic) {
      const { loadDataset } = await import('../workload/dataset.js')
      // the file and its column mapping; prompts generated to a length column wait for the model's tokenizer
      await loadDataset(x.config.dataset, { baseDir: run.loaded.rootDir, checkOnly: true }).catch((e: unknown) => {
        // the file's own message, said from where the dataset was set (the bench, a flag, the config)
        if (!(e instanceof InputError)) throw e
        throw new InputError(e.code, `${placeOf(blameFrom((k) => x.provenance[k]), x.config.dataset!.file ? 'dataset.file' : 'dataset', `${x.bench.location}: bench("${x.bench.name}")`)}: ${e.message}`, { file: e.file, where: e.where, cause: e.cause })
      })
    }
  }
  const { carbonIntensity, knownCountries } = await import('../measure/emissions.js')
  for (const x of runnable)
    if (carbonIntensity(x.config.measurement.carbon) === null)
      throw new InputError('CONFIG_INVALID', `${placeOf(blameFrom((k) => x.provenance[k]), 'measurement.carbon.country', x.bench.location)}: measurement.carbon.country: unknown ISO 3166 alpha-3 code "${x.config.measurement.carbon.country}" (e.g. ${knownCountries().slice(0, 5).join(', ')}, ...)`)
}

/** `--compare <baseline>` and `--threshold`: the thresholds parsed and the baseline read now. */
export async function loadBaseline(compare: string | undefined, threshold: string | string[] | undefined, resultsDir: string): Promise<StoredRun | undefined> {
  if (compare === undefined) {
    if (threshold !== undefined) throw new InputError('CONFIG_INVALID', 'command line: --threshold needs --compare <baseline> (or use llem compare)')
    return undefined
  }
  const { parseThresholds } = await import('../compare/thresholds.js')
  parseThresholds(threshold)
  const { loadStoredRun } = await import('../compare/stored-run.js')
  return loadStoredRun(compare, process.cwd(), async () => resultsDir)
}

/**
 * Loads the reporters as the run will (nothing is written: no hook is called), to refuse bad ones (an
 * unknown name, one outputFile for several file reporters) before the lock creates the results directory.
 */
export async function checkReporters(run: ResolvedRun): Promise<void> {
  const { loadReporters } = await import('../reporters/load-reporters.js')
  const { builtinReporters } = await import('../reporters/builtin-reporters.js')
  const base = { runId: '(not started)', runDir: path.join(run.runOptions.resultsDir, '(not started)'), rootDir: run.loaded.rootDir, configFile: run.loaded.file, stdout: process.stdout, isTTY: !!process.stdout.isTTY, verbose: false }
  const reporters = await loadReporters(run.runOptions.reporters, base, { outputFile: run.runOptions.outputFile, builtins: builtinReporters, specsFrom: run.reportersFrom, outputFileFrom: run.outputFileFrom })
  checkOutputFiles(run.runOptions.outputFile, run.loaded.rootDir)
  // a reporter's own options may name its file too (`['json', { outputFile: 'out/results.json' }]`)
  const { reporterContext } = await import('../reporters/dispatch.js')
  for (const [i, r] of reporters.entries()) {
    const file = reporterContext(r)?.outputFile
    if (file) checkReportPath(`reporters[${i}] (${r.name ?? 'reporter'}) outputFile`, file, run.loaded.rootDir, 'set in the reporter\'s options or by outputFile')
  }
}

/**
 * A report's path that can never be written is bad input before anything is measured, not a file
 * lost after the run: its nearest existing ancestor must be a directory llem can write in.
 */
function checkOutputFiles(outputFile: string | Record<string, string> | null, rootDir: string): void {
  const entries = outputFile === null ? [] : typeof outputFile === 'string' ? [['outputFile', outputFile]] : Object.entries(outputFile).map(([k, v]) => [`outputFile.${k}`, v])
  for (const [where, file] of entries) checkReportPath(where, file, rootDir, 'set by --outputFile or outputFile in the config')
}

function checkReportPath(where: string, file: string, rootDir: string, setBy: string): void {
  let at = path.dirname(path.resolve(rootDir, file))
  let st = statSync(at, { throwIfNoEntry: false })
  while (!st && path.dirname(at) !== at) st = statSync((at = path.dirname(at)), { throwIfNoEntry: false })
  const why = !st ? 'no part of its path exists' : !st.isDirectory() ? `${at} is not a directory` : writable(at) ? null : `${at} cannot be written (permission denied or a read-only file system)`
  if (why) throw new InputError('CONFIG_INVALID', `${where} ${JSON.stringify(file)}: ${why} (${setBy})`, { where })
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** What a real run would refuse before its first experiment: the GPUs --gpus names must exist. */
/**
 * The GPUs llem may use, found as a real run finds them (a bad --gpus is bad input), and the planned
 * experiments no slot could ever hold on this machine: a real run records each as failed (NO_SLOT) and
 * exits 1, so a dry run says so and exits 1 too. Slurm places its tasks on other machines: none then.
 */
export async function checkDevices(run: ResolvedRun): Promise<string[]> {
  const { probesRecord } = await import('../config/normalise.js')
  const { discoverGpuSlots } = await import('./slots.js')
  const { slots } = await discoverGpuSlots(run.runOptions.devices, process.env, probesRecord(run.loaded.config.probes), run.loaded.rootDir)
  if (run.runOptions.executor.name !== 'local') return []
  const { gpusPerProcess } = await import('./execute.js')
  return run.experiments
    .filter((x) => x.mode === 'run')
    .flatMap((x) => {
      const per = gpusPerProcess(x, slots)
      const processes = x.config.parallel.data
      return per > 0 && per * processes > slots.length ? [`${x.name}: would fail (NO_SLOT): needs ${processes} x ${per} GPUs, but llem may use ${slots.length}`] : []
    })
}

/**
 * Who to blame for the model a backend rejects: the flag or variable that set it (its provenance says
 * where it came from), else the bench's file:line. The messages it prefixes are all about the model.
 */
function modelWhere(x: PlannedExperiment, cli: { optionKeys: string[]; env: NodeJS.ProcessEnv }): string {
  const p = x.provenance['model'] ?? Object.entries(x.provenance).find(([k]) => k.startsWith('model.'))?.[1]
  const isModelKey = (k: string) => k === 'model' || k.startsWith('model.')
  // a model a sweep point gave: where the sweep was written (--sweep, LLEM_SWEEP, the config file)
  const swept = p?.source === 'sweep' ? blameFrom((k) => x.provenance[k])(Object.keys(x.provenance).find(isModelKey) ?? 'model') : null
  if (swept) return swept
  if (p?.source === 'cli') return `command line ${cli.optionKeys.filter(isModelKey).map((k) => `--${k}`).join(' ') || '--model'}`
  if (p?.source === 'env') return `environment ${Object.keys(cli.env).filter((k) => /^LLEM_MODEL(__|$)/.test(k)).join(' ') || 'LLEM_MODEL'}`
  // set in the config file (its path relative to the root) or a describe() block (its file:line)
  if (p?.source === 'config') return `${p.source_detail ?? 'config'}: ${Object.keys(x.provenance).find(isModelKey) ?? 'model'}`
  if (p?.source === 'describe' && p.source_detail) return p.source_detail
  return x.bench.location
}
