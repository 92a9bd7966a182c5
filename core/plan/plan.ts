/**
 * Step 4: collected benches x sweep points x repeats -> Experiments, each with its effective config,
 * the provenance of every key, and a stable task_hash.
 */
import path from 'node:path'
import type { CollectedBench } from '../api/collector.js'
import { effectiveMode, fullName } from '../collect/collect-files.js'
import { filesWithOnly } from '../collect/only.js'
import { EXPERIMENT_DEFAULTS, type ResolvedExperimentOptions } from '../config/defaults.js'
import { InputError } from '../errors.js'
import { loadConflict } from '../workload/replay.js'
import { getPath, mergeLayers, mergePointLayers, setPath, type OptionLayer, type ProvenanceEntry, type ProvenanceOverlay } from '../config/layers.js'
import { normaliseOptions, probesRecord } from '../config/normalise.js'
import { RUN_ONLY_KEYS } from '../config/schema.js'
import { blameFrom, type Blame } from '../config/blame.js'
import { expandSweep, formatPoint, shownPoint, type SweepPoint } from './expand-sweep.js'
import { slug, taskHash } from './task-hash.js'
import { PointValidator, SectionInterner } from './validate-point.js'
import type { SeriesInfo } from '../results/schema.js'
import { firstSeriesStep } from '../run/series-plan.js'

export interface Experiment {
  /** unique in the run, safe as a file name */
  id: string
  /** readable: "suite > bench [load.concurrency=2] #2" */
  name: string
  /** from_flags: no bench file, built from the command line (file '' and location 'command line') */
  bench: { file: string; name: string; full_name: string; location: string; from_flags?: true }
  task_hash: string
  repeat_index: number
  repeat_count: number
  sweep_point: SweepPoint
  config: ResolvedExperimentOptions
  provenance: Record<string, ProvenanceEntry>
  cli_overrides: Record<string, unknown>
  config_warnings: string[]
  mode: 'run' | 'skip'
  /** a member of an adaptive series (load.profile 'sweep' or 'slo-search'): the planned first member
   *  carries step 1; the later ones are made at run time from its results (core/run/series.ts) */
  series?: SeriesInfo
}

export interface PlanInput {
  benches: CollectedBench[]
  rootDir: string
  configFile: string | null
  /** the config file's experiment options (run-only keys are dropped here) */
  config: Record<string, unknown>
  env: OptionLayer
  cli: OptionLayer
  cliOverrides: Record<string, unknown>
  /** -t: a regular expression matched against the bench's full name */
  namePattern?: string
  /** validates a backend's own options; throws InputError naming the place */
  checkBackend?: (backend: Record<string, unknown>, where: string, blame: Blame) => void
}

export function buildPlan(input: PlanInput): Experiment[] {
  // `.only` narrows its own file only: the other files run in full
  const onlyFiles = filesWithOnly(input.benches)
  let pattern: RegExp | null = null
  try {
    pattern = input.namePattern ? new RegExp(input.namePattern, 'i') : null
  } catch (e) {
    throw new InputError('CONFIG_INVALID', `command line: -t ${JSON.stringify(input.namePattern)}: not a valid regular expression (${(e as Error).message})`)
  }
  const configValues = normaliseOptions(Object.fromEntries(Object.entries(input.config).filter(([k]) => !RUN_ONLY_KEYS.has(k))))
  const configDetail = input.configFile ? path.relative(input.rootDir, input.configFile) || input.configFile : 'config'
  const experiments: Experiment[] = []
  const usedIds = new Set<string>()
  // the text of config sections the points share (never changed once parsed), written once
  const hashMemo = new WeakMap<object, string>()
  // llem's defaults under the config file: the same for every bench, merged once (the benches' merges
  // copy what they write into and share the rest, so sections no bench sets are one object throughout)
  const common = mergeLayers([
    { source: 'default', detail: 'llem default', values: EXPERIMENT_DEFAULTS as unknown as Record<string, unknown> },
    { source: 'config', detail: configDetail, values: configValues },
  ])
  // one validator for the whole plan: a section already parsed (the same object) is not parsed again
  const validator = new PointValidator()
  const records = new WeakMap<object, ResolvedExperimentOptions['probes']>()

  for (const bench of input.benches) {
    const full = fullName(bench)
    const mode = effectiveMode(bench, onlyFiles.has(bench.file))
    if (pattern && !pattern.test(full)) continue
    const fromFlags = bench.kind === 'flags'
    const rel = fromFlags ? '' : path.relative(input.rootDir, bench.file)
    const at = (loc: string) => (fromFlags ? loc : `${rel}${loc.slice(bench.file.length)}`)
    const layers: OptionLayer[] = [
      ...bench.suites.map((s) => ({ source: 'describe' as const, detail: `describe("${s.name}") at ${at(s.location)}`, values: normaliseOptions(s.options as Record<string, unknown>) })),
      // a run from flags has no bench of its own: what its layer holds (the dataset, when none is named) is llem's default
      fromFlags
        ? { source: 'default' as const, detail: 'llem default for a run without a bench file', values: normaliseOptions(bench.options as Record<string, unknown>) }
        : { source: 'bench', detail: `${bench.kind}("${bench.name}") at ${at(bench.location)}`, values: normaliseOptions(bench.options as Record<string, unknown>) },
    ]
    const what = fromFlags ? 'the run from flags' : `${bench.kind}("${bench.name}")`
    // one object for the bench's experiments (read, never changed)
    const benchRef: Experiment['bench'] = { file: rel, name: bench.name, full_name: full, location: at(bench.location), ...(fromFlags ? { from_flags: true as const } : {}) }
    // the layers below the sweep point are the same for every point: merged once, the point, env and
    // flags on top of them per point (a 10,000-point sweep merged every layer 10,000 times)
    const below = mergeLayers(layers, common)
    const base = mergeLayers([input.env, input.cli], below)
    const sweep = (base.values.sweep ?? {}) as Record<string, unknown[]>
    const sweepMode = base.values.sweepMode as 'grid' | 'zip'
    const repeat = base.values.repeat as number
    const sweepSource = base.provenance['sweep']?.source_detail ?? 'sweep'
    const points = expandSweep(sweep, sweepMode)
    if ('error' in points) throw new InputError('BENCH_INVALID', `${at(bench.location)}: ${what}: ${points.error}`, { file: bench.file })
    // what every point of the bench has alike (its keys are the sweep's): the per-key details, and
    // which of the flags and the environment overrides a swept key
    const sweepDetails: Record<string, string> = {}
    const overrides = new Map<string, OptionLayer>()
    for (const key of Object.keys(sweep)) {
      sweepDetails[key] = `sweep over ${key} from ${sweepSource}`
      const override = [input.cli, input.env].find((l) => getPath(l.values, key) !== undefined)
      if (override) overrides.set(key, override)
    }
    const benchSlug = slug(full)
    const sections = new SectionInterner()

    for (const point of points) {
      const sweepValues: Record<string, unknown> = {}
      const warnings: string[] = []
      for (const [key, value] of Object.entries(point)) {
        setPath(sweepValues, key, value)
        const override = overrides.get(key)
        if (override) warnings.push(`${override.source === 'cli' ? 'command line' : 'environment'} sets ${key}, overriding the sweep value ${JSON.stringify(shownPoint({ [key]: value })[key])}`)
      }
      const sweepLayer: OptionLayer = { source: 'sweep', detail: sweepSource, values: normaliseOptions(sweepValues), details: sweepDetails }
      const merged = mergePointLayers([sweepLayer, input.env, input.cli], below)
      sections.intern(sweepLayer.values, merged.values)
      const pointText = formatPoint(point)
      const label = `${what}${pointText ? ` sweep point ${pointText}` : ''}`
      if (!merged.values.backend) throw new InputError('BENCH_INVALID', `${at(bench.location)}: ${what} has no backend: set \`backend\` (e.g. 'llama-cpp') in bench(), describe() or llem.config.ts`, { file: bench.file })
      // the parsed form, whichever layer set a key: Infinity written 'inf' (JSON and the task hash have no
      // Infinity) and nested defaults filled (dataset.repeat...), so one experiment has one config and task_hash.
      // Sections no point changes (the sweep itself among them) are parsed once and shared by the
      // points' configs, not copied into each (10,000 points of a two-axis sweep of 100 values each
      // held two million copied values): validate-point.ts
      // a value from a flag, a variable, the config file or a sweep written in one of them is blamed
      // there, not on the bench (config/blame.ts)
      const blame = blameFrom((key) => merged.provenance.get(key))
      const config = validator.validate(merged.values, { file: at(bench.location), label, code: 'BENCH_INVALID', blame })
      // the list as a record, one per list: the points of a sweep share their sections (a new record
      // per point made every point's config differ there, and each was searched for secrets anew)
      config.probes = probesRecordOf(config.probes, records)
      const conflict = loadConflict(config.load, config.dataset)
      if (conflict) throw new InputError('BENCH_INVALID', `${at(bench.location)}: ${label}: ${conflict}`, { file: bench.file })
      if (config.load.rate !== null && merged.provenance.get('load.concurrency')?.source === 'default')
        warnings.push(`load.rate is set but load.concurrency is the default 1: at most one request is in flight, and arrivals while one runs wait in the client queue (requests[].client_queue_ms; ttft_incl_queue/e2e_incl_queue include that wait); set load.concurrency to the cap you want`)
      if (mode === 'run') input.checkBackend?.(config.backend as Record<string, unknown>, `${at(bench.location)}: ${label}`, blame)
      // a sweep or an SLO search: what runs first is its first step; its later steps are made at run time
      const first = firstSeriesStep(config, (key) => merged.provenance.get(key), `${at(bench.location)}: ${label}`)
      if (first) {
        config.load = { ...config.load, ...first.load }
        const detail = `the first step of the ${first.info.kind}: ${first.info.reason} (load.concurrency ${first.info.cap}, from ${merged.provenance.get('load.concurrency')!.source_detail}, caps the later steps)`
        merged.provenance.set('load.concurrency', { value: 1, source: 'sweep', source_detail: detail })
        merged.provenance.set('load.rate', { value: null, source: 'sweep', source_detail: detail })
        warnings.splice(0, warnings.length, ...warnings.filter((w) => !w.startsWith('load.rate is set but load.concurrency')))
      }
      const hash = taskHash(config as unknown as Record<string, unknown>, hashMemo)
      for (let r = 1; r <= repeat; r++) {
        const name = [full, pointText, first ? first.label : '', repeat > 1 ? `#${r}` : ''].filter(Boolean).join(' ')
        let id = `${benchSlug}${pointText ? '-' + slug(pointText, 40) : ''}-${hash.slice(0, 8)}${repeat > 1 ? `-r${r}` : ''}`
        for (let n = 2; usedIds.has(id); n++) id = `${id.replace(/~\d+$/, '')}~${n}`
        usedIds.add(id)
        experiments.push(withProvenance({
          id,
          name,
          bench: benchRef,
          task_hash: hash,
          repeat_index: r,
          repeat_count: repeat,
          sweep_point: point,
          config,
          cli_overrides: input.cliOverrides,
          config_warnings: warnings,
          mode,
          ...(first ? { series: { ...first.info, group: id } } : {}),
        }, merged.provenance))
      }
    }
  }
  return experiments
}

/**
 * The experiment with its `provenance` made whole when first read (by a result, a worker's copy of
 * the experiment, JSON), not when planned: listing or checking a 10,000-point plan reads none of it.
 * An own enumerable property all the same (a getter that puts the record in its place), so spreading,
 * JSON and structured clone see it as a plain one; repeats of a point share one record.
 */
function withProvenance(x: Omit<Experiment, 'provenance'>, provenance: ProvenanceOverlay): Experiment {
  return Object.defineProperty(x, 'provenance', {
    enumerable: true,
    configurable: true,
    get(this: Experiment) {
      const value = provenance.whole()
      Object.defineProperty(this, 'provenance', { value, enumerable: true, writable: true, configurable: true })
      return value
    },
    set(this: Experiment, value: Record<string, ProvenanceEntry>) {
      Object.defineProperty(this, 'provenance', { value, enumerable: true, writable: true, configurable: true })
    },
  }) as Experiment
}

function probesRecordOf(probes: unknown, records: WeakMap<object, ResolvedExperimentOptions['probes']>): ResolvedExperimentOptions['probes'] {
  if (typeof probes !== 'object' || probes === null) return probesRecord(probes) as ResolvedExperimentOptions['probes']
  let record = records.get(probes)
  if (!record) records.set(probes, (record = probesRecord(probes) as ResolvedExperimentOptions['probes']))
  return record
}
