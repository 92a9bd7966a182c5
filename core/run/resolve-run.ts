/**
 * Steps 1-4 shared by `llem bench` and `llem list`: config -> discovery -> collection -> plan, with
 * every input error raised before anything runs.
 */
import os from 'node:os'
import path from 'node:path'
import type { Backend } from '../backends/types.js'
import type { CollectedBench } from '../api/collector.js'
import { collectFiles, fullName } from '../collect/collect-files.js'
import { discoverBenchFiles } from '../collect/discover.js'
import { commandLineNamesBench, flagsBench } from '../collect/flags-bench.js'
import { checkOnlyAllowed } from '../collect/only.js'
import { RUN_DEFAULTS, type ResolvedRunOptions } from '../config/defaults.js'
import { blameFrom, placeOf, type Blame } from '../config/blame.js'
import { isPlainObject, type ProvenanceEntry } from '../config/layers.js'
import { normaliseOptions } from '../config/normalise.js'
import { executorSchema, RUN_ONLY_KEYS } from '../config/schema.js'
import { loadConfig, type LoadedConfig } from '../config/load-config.js'
import { buildOverrideLayers, envVarName } from '../config/overrides.js'
import { validateOptions } from '../config/validate.js'
import { InputError } from '../errors.js'
import { CLIENT_THREAD_BACKENDS } from '../measure/client-threads-auto.js'
import { buildPlan, type Experiment } from '../plan/plan.js'
import { namedBackends } from '../plan/named-backends.js'
import { shardExperiments, type Shard } from '../plan/shard.js'
import { BACKENDS_WITHOUT_REQUIRED_OPTIONS, builtinBackends, PROBES_WITHOUT_REQUIRED_OPTIONS } from '../plugins/builtins.js'
import { loadBackend, loadProbe } from '../plugins/load-plugins.js'
import { validatePluginOptions } from '../plugins/plugin-options.js'
import { resolveResultsDir } from '../results/results-dir.js'
import type { Probe } from '../probes/types.js'

export interface RunRequest {
  cwd: string
  configPath?: string
  /** dotted option flags from the command line: path -> raw value */
  flags: Record<string, string | boolean>
  /** explicit run flags (--results-dir, --reporter, --outputFile, --bail) */
  run: Partial<ResolvedRunOptions>
  filters: string[]
  namePattern?: string
  /** --shard i/n: keep this share of the plan (plan/shard.ts) */
  shard?: Shard
  env: NodeJS.ProcessEnv
  /** the plan is only listed (`llem list`): a built-in backend is imported only to check options the
   *  plan gives it, and `backends` holds only those (nothing runs, and no backend's own checks run) */
  planOnly?: boolean
}

export interface ResolvedRun {
  loaded: LoadedConfig
  runOptions: ResolvedRunOptions
  files: string[]
  benches: CollectedBench[]
  /** this run's experiments: the whole plan, or the shard's share of it */
  experiments: Experiment[]
  /** with --shard: which share, and how many experiments the whole plan has */
  shard: (Shard & { planned: number }) | null
  cacheDir: string
  backends: Record<string, Backend>
  /** where runOptions.reporters was written (messages about a reporter's options name it): the config
   *  file, 'command line' or the environment variable */
  reportersFrom: string | null
  /** where runOptions.outputFile was written, likewise */
  outputFileFrom: string | null
}

export async function resolveRun(req: RunRequest): Promise<ResolvedRun> {
  const loaded = await loadConfig({ cwd: req.cwd, configPath: req.configPath })
  const overrides = buildOverrideLayers(req.env, req.flags)
  const c = loaded.config
  const runOptions: ResolvedRunOptions = {
    include: c.include ?? RUN_DEFAULTS.include,
    exclude: c.exclude ?? RUN_DEFAULTS.exclude,
    reporters: c.reporters ?? RUN_DEFAULTS.reporters,
    outputFile: c.outputFile ?? RUN_DEFAULTS.outputFile,
    resultsDir: c.resultsDir ?? RUN_DEFAULTS.resultsDir,
    cacheDir: c.cacheDir ?? RUN_DEFAULTS.cacheDir,
    bail: c.bail ?? RUN_DEFAULTS.bail,
    devices: c.devices ?? RUN_DEFAULTS.devices,
    maxParallel: c.maxParallel ?? RUN_DEFAULTS.maxParallel,
    order: c.order ?? RUN_DEFAULTS.order,
    orderSeed: c.orderSeed ?? RUN_DEFAULTS.orderSeed,
    cooldown: { ...RUN_DEFAULTS.cooldown, ...c.cooldown },
    executor: RUN_DEFAULTS.executor,
    allowOnly: c.allowOnly ?? RUN_DEFAULTS.allowOnly,
    passWithNoTests: c.passWithNoTests ?? RUN_DEFAULTS.passWithNoTests,
    ...(overrides.run as Partial<ResolvedRunOptions>),
    ...Object.fromEntries(Object.entries(req.run).filter(([, v]) => v !== undefined)),
  }
  // a flag for one cooldown key refines the configured cooldown instead of replacing it
  runOptions.cooldown = { ...RUN_DEFAULTS.cooldown, ...c.cooldown, ...(overrides.run.cooldown as object | undefined) }
  // the executor named on the command line first, then its dotted settings (--executor.partition)
  runOptions.executor = validateOptions(executorSchema, resolveExecutor(c.executor, req.run.executor, overrides.run.executor), { file: loaded.file ?? 'command line', prefix: 'executor', code: 'CONFIG_INVALID' }) as ResolvedRunOptions['executor']
  const rootDir = loaded.rootDir
  // absolute from here on, by the rule list, report and compare use too (flag and env: from the cwd)
  runOptions.resultsDir = resolveResultsDir({ flag: req.run.resultsDir, env: req.env, configured: c.resultsDir, rootDir, cwd: req.cwd })
  const files = await discoverBenchFiles({ rootDir, include: runOptions.include, exclude: runOptions.exclude, filters: req.filters })
  const benches = await collectFiles(files, rootDir)
  // no bench file at all, and the flags name a backend or a model: the flags are the bench (flags-bench.ts)
  if (files.length === 0 && req.filters.length === 0 && commandLineNamesBench(req.flags)) {
    const configValues = normaliseOptions(Object.fromEntries(Object.entries(c).filter(([k]) => !RUN_ONLY_KEYS.has(k))))
    benches.push(flagsBench([{ source: 'config', detail: 'config', values: configValues }, overrides.env, overrides.cli], Object.keys(builtinBackends)))
  }
  checkOnlyAllowed(benches, rootDir, runOptions.allowOnly, req.env)
  const backends: Record<string, Backend> = {}
  // only the built-in backends the plan names (core/plan/named-backends.ts): each imports its client libraries
  const named = namedBackends(benches, [c as Record<string, unknown>, overrides.env.values, overrides.cli.values])
  if (!req.planOnly) for (const [name, load] of Object.entries(builtinBackends)) if (!named || named.has(name)) backends[name] = await load()
  const userBackends: { backend: Record<string, unknown>; where: string; blame: Blame }[] = []
  const checkedBackends = new Set<unknown>()
  const planned = buildPlan({
    benches,
    rootDir,
    configFile: loaded.file,
    config: c as Record<string, unknown>,
    env: overrides.env,
    cli: overrides.cli,
    cliOverrides: overrides.cliOverrides,
    namePattern: req.namePattern,
    checkBackend(backend, where, blame) {
      // a sweep's points share the backend section (one object): checked once
      if (checkedBackends.has(backend)) return
      checkedBackends.add(backend)
      const { name: _name, ...options } = backend
      // only listing, a built-in backend without options has nothing to check (test/list-backend-imports.test.ts)
      if (req.planOnly && BACKENDS_WITHOUT_REQUIRED_OPTIONS.has(String(backend.name)) && Object.keys(options).length === 0) return
      // a path or a package name (or, only listing, a built-in backend) is imported after planning
      // (importing is async): checked there
      if (!Object.hasOwn(backends, String(backend.name))) return userBackends.push({ backend, where, blame })
      validatePluginOptions(backends[backend.name as string], options, { file: where, prefix: 'backend', code: 'BENCH_INVALID', blame })
    },
  })
  for (const { backend, where, blame } of userBackends) {
    const spec = String(backend.name)
    const plugin = (backends[spec] ??= Object.hasOwn(builtinBackends, spec) ? await builtinBackends[spec]() : await loadBackend(spec, rootDir).catch((e) => rethrowAt(e, placeOf(blame, 'backend.name', where))))
    const { name: _name, ...options } = backend
    validatePluginOptions(plugin, options, { file: where, prefix: 'backend', code: 'BENCH_INVALID', blame })
  }
  const experiments = req.shard ? shardExperiments(planned, req.shard) : planned
  // each probe the plan names is imported (once) to check its options; the others are not loaded, nor
  // llem's own probes named without options (nothing to check: PROBES_WITHOUT_REQUIRED_OPTIONS)
  const probes: Record<string, Probe<any>> = {}
  // the whole plan, not just this shard: every shard refuses the same bad input
  // the points of a sweep share one probes record: checked once
  const checkedProbes = new Set<unknown>()
  for (const x of planned) {
    if (x.mode !== 'run' || checkedProbes.has(x.config.probes)) continue
    checkedProbes.add(x.config.probes)
    await checkProbes(x.config.probes, probes, `${x.bench.location}: "${x.bench.full_name}"`, experimentBlame(x), rootDir)
  }
  for (const x of planned) checkClientThreads(x.config, () => placeOf(experimentBlame(x), 'load.clientThreads', `${x.bench.location}: "${x.bench.full_name}"`))
  const cacheDir = path.resolve(rootDir, runOptions.cacheDir ?? path.join(req.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'llem'))
  return { loaded, runOptions, files, benches, experiments, shard: req.shard ? { ...req.shard, planned: planned.length } : null, cacheDir, backends, reportersFrom: writtenIn('reporters', req, loaded.file), outputFileFrom: writtenIn('outputFile', req, loaded.file) }
}

/** which layer gave a run option: the command line, the environment variable, or the config file */
function writtenIn(key: 'reporters' | 'outputFile', req: RunRequest, configFile: string | null): string | null {
  if (req.run[key] !== undefined || Object.keys(req.flags).some((k) => k === key || k.startsWith(`${key}.`))) return 'command line'
  const name = envVarName(key)
  return req.env[name] ? name : configFile
}

/** Built-in probes by name; a path or a package name is imported (once) and then checked the same way. */
async function checkProbes(config: Record<string, unknown>, probes: Record<string, Probe<any>>, where: string, blame: Blame, rootDir: string): Promise<void> {
  for (const [name, options] of Object.entries(config)) {
    if (PROBES_WITHOUT_REQUIRED_OPTIONS.has(name) && (options === false || (isPlainObject(options) && Object.keys(options).length === 0))) continue
    const probe = (probes[name] ??= await loadProbe(name, rootDir).catch((e) => rethrowAt(e, placeOf(blame, `probes.${name}`, where))))
    if (options !== false) validatePluginOptions(probe, options as Record<string, unknown>, { file: where, prefix: `probes.${name}`, code: 'BENCH_INVALID', blame })
  }
}

/** An experiment's Blame: its provenance is read (made whole) only when a message needs it. */
const experimentBlame = (x: { provenance: Record<string, ProvenanceEntry> }): Blame => blameFrom((key) => x.provenance[key])

/** A plugin that cannot be found or loaded, said from where it was named (the bench or config file). */
function rethrowAt(e: unknown, where: string): never {
  if (e instanceof InputError) throw new InputError(e.code, `${where}: ${e.message}`, { file: e.file, where: e.where, cause: e.cause })
  throw e
}

/** Benches (full names with files) for the "no match" message, like Vitest lists what exists. */
export function listBenchNames(benches: CollectedBench[], rootDir: string): string[] {
  return benches.map((b) => `${b.kind === 'flags' ? b.location : path.relative(rootDir, b.file)} > ${fullName(b)}`)
}

/**
 * 'slurm' and { name: 'slurm', ... } alike; a higher layer naming the same executor refines the
 * lower one key by key (`--executor.partition gpu` keeps the config's account), another name replaces it.
 */
export function resolveExecutor(...layers: unknown[]): ResolvedRunOptions['executor'] {
  let out: Record<string, unknown> = { name: 'local' }
  for (const layer of layers) {
    if (layer === undefined || layer === null) continue
    const spec = typeof layer === 'string' ? { name: layer } : (layer as Record<string, unknown>)
    const name = spec.name ?? out.name
    out = name === out.name ? { ...out, ...spec, name } : { ...spec, name }
  }
  return out as ResolvedRunOptions['executor']
}

/** load.clientThreads > 1 runs llem's HTTP streaming client on worker threads: a backend with a client of
 *  its own (an in-process engine, a Python worker) cannot, and is refused before anything runs */
function checkClientThreads(config: { load: { clientThreads?: number | 'auto' }; backend: { name: unknown } | null }, where: () => string): void {
  const threads = config.load.clientThreads
  const name = String(config.backend?.name ?? '')
  if (typeof threads === 'number' && threads > 1 && !CLIENT_THREAD_BACKENDS.includes(name))
    throw new InputError('BENCH_INVALID', `${where()}: load.clientThreads = ${threads} needs a backend whose client is llem's HTTP streaming client (${CLIENT_THREAD_BACKENDS.join(', ')}); backend "${name}" has its own: set load.clientThreads to 1 or 'auto'`)
}
