/**
 * The one reader of run directories. `findRun` and `locateRun` find a run (a run id in the results
 * directory, or a path); every file is read by `readResultFile`, which checks it against its schema
 * and its names before anything uses it. Two views of a run share that reader:
 *  - `readRunDir`, for `llem report` and `llem compare`: the results aggregated again from raw/ (the
 *    raw results are the record; aggregated/ is the fallback), and any bad file is bad input (exit 2);
 *  - `readRun`, for `--resume` and `llem list --run`: the aggregated files as written, a bad one named
 *    as a problem (its experiment runs again), so one corrupt file never blocks a resume.
 * The results directory is shared state too: a lock file keeps two llem processes apart (run-lock.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { z } from 'zod'
import { InputError } from '../errors.js'
import { aggregate } from './aggregate.js'
import { checkResultNames } from './safe-names.js'
import { aggregatedResultSchema, manifestSchema, rawProcessResultSchema, type AggregatedResult, type Manifest, type RawProcessResult } from './schema.js'

export { acquireLock, type Lock } from './run-lock.js'

export interface StoredRun {
  /** the run directory, or the results file */
  path: string
  kind: 'run-dir' | 'results-file'
  runId: string
  /** only for a run directory */
  manifest: Manifest | null
  /** in the order they ran */
  results: AggregatedResult[]
}

export interface RunContents {
  runDir: string
  results: Map<string, AggregatedResult>
  /** "file: why" for every file that is not a valid llem result */
  problems: string[]
}

const runsIn = (dir: string) => readdirSync(dir).filter((d) => existsSync(path.join(dir, d, 'manifest.json'))).sort()

export function findRun(resultsDir: string, which: string): string {
  if (!existsSync(resultsDir)) throw new InputError('RESULTS_INVALID', `no results directory ${resultsDir}: nothing to resume`)
  if (!statSync(resultsDir).isDirectory()) throw new InputError('RESULTS_INVALID', `results directory ${resultsDir}: not a directory (set by --results-dir, LLEM_RESULTS_DIR or resultsDir)`, { file: resultsDir })
  const runs = runsIn(resultsDir)
  const id = which === 'latest' || which === '' ? runs[runs.length - 1] : which
  if (!id || !runs.includes(id)) throw new InputError('RESULTS_INVALID', `no run ${which === 'latest' ? '' : `"${which}" `}in ${resultsDir}${runs.length ? ` (runs: ${runs.slice(-5).join(', ')})` : ''}`)
  return path.join(resultsDir, id)
}

/**
 * What the user named: a run directory, a results.json, or a run id (or 'latest') in `resultsDir`.
 * `resultsDir` is asked for only when the name is not a path that exists (loading it may load a config).
 */
export async function locateRun(name: string, cwd: string, resultsDir: () => Promise<string>): Promise<{ path: string; kind: StoredRun['kind'] }> {
  const abs = path.resolve(cwd, name)
  if (existsSync(abs)) {
    if (statSync(abs).isFile()) return path.basename(abs) === 'manifest.json' ? { path: path.dirname(abs), kind: 'run-dir' } : { path: abs, kind: 'results-file' }
    if (existsSync(path.join(abs, 'manifest.json'))) return { path: abs, kind: 'run-dir' }
    const runs = runsIn(abs)
    if (runs.length) throw new InputError('RESULTS_INVALID', `${abs} is a results directory, not a run: name one of its runs (the latest is ${path.join(abs, runs[runs.length - 1])})`, { file: abs })
    throw new InputError('RESULTS_INVALID', `${abs} is not a llem run directory: ${path.join(abs, 'manifest.json')} is missing`, { file: path.join(abs, 'manifest.json') })
  }
  // a bare name (no path separator) may be a run id, as `llem bench --resume` takes one
  if (!/[\\/]/.test(name)) {
    const dir = await resultsDir()
    if (existsSync(dir)) return { path: findRun(dir, name), kind: 'run-dir' }
    throw new InputError('RESULTS_INVALID', `no such run directory or results file: ${abs} (nor a results directory ${dir} to look the run id "${name}" up in)`, { file: abs })
  }
  throw new InputError('RESULTS_INVALID', `no such run directory or results file: ${abs}`, { file: abs })
}

export function readJson(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new InputError('RESULTS_INVALID', `${file}: cannot read (${(e as Error).message})`, { file })
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new InputError('RESULTS_INVALID', `${file}: corrupt JSON (${(e as Error).message.split('\n')[0]})`, { file })
  }
}

/** Checked against the schema; the value returned is the file's own object, so fields a newer llem added survive. */
export function validated<S extends z.ZodType>(schema: S, value: unknown, file: string, what: string, prefix = ''): z.infer<S> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return value as z.infer<S>
  const issue = parsed.error.issues[0]
  const at = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)'
  throw new InputError('RESULTS_INVALID', `${file}: not a llem ${what}: ${at}: ${issue.message}`, { file, where: at })
}

const RESULT_FILES = {
  raw: { schema: rawProcessResultSchema, what: 'raw result' },
  aggregated: { schema: aggregatedResultSchema, what: 'result' },
} as const

/** One result file of a run, read and checked; names in it become paths (raw/<id>/, reporters' files), so they are checked too. */
function readResultFile(file: string, kind: 'raw'): RawProcessResult
function readResultFile(file: string, kind: 'aggregated'): AggregatedResult
function readResultFile(file: string, kind: keyof typeof RESULT_FILES): RawProcessResult | AggregatedResult {
  const r = validated(RESULT_FILES[kind].schema, readJson(file), file, RESULT_FILES[kind].what) as RawProcessResult | AggregatedResult
  checkResultNames(r, file)
  return r
}

const jsonFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [])

/** A run for report and compare: re-aggregated from raw/, every bad file bad input. */
export function readRunDir(runDir: string): StoredRun {
  const manifestFile = path.join(runDir, 'manifest.json')
  if (!existsSync(manifestFile)) throw new InputError('RESULTS_INVALID', `${runDir} is not a llem run directory: ${manifestFile} is missing`, { file: manifestFile })
  const manifest = validated(manifestSchema, readJson(manifestFile), manifestFile, 'manifest')
  const results = new Map<string, AggregatedResult>()
  const rawDir = path.join(runDir, 'raw')
  for (const id of existsSync(rawDir) ? readdirSync(rawDir).sort() : []) {
    const dir = path.join(rawDir, id)
    if (!statSync(dir).isDirectory()) continue
    const raws = jsonFiles(dir).map((f) => readResultFile(path.join(dir, f), 'raw'))
    if (raws.length) results.set(id, aggregate(raws.sort((a, b) => a.process_index - b.process_index)))
  }
  // an experiment without raw files (written by an llem that kept none, or raw/ pruned): its aggregated
  // file embeds the raw results, so it is aggregated again from those
  const aggDir = path.join(runDir, 'aggregated')
  for (const f of jsonFiles(aggDir)) {
    const id = f.slice(0, -'.json'.length)
    if (results.has(id)) continue
    const agg = readResultFile(path.join(aggDir, f), 'aggregated')
    results.set(id, agg.process_results.length ? aggregate(agg.process_results) : agg)
  }
  const planned = new Map(manifest.experiments.map((x, i) => [x.id, i]))
  const order = (r: AggregatedResult) => planned.get(r.experiment_id) ?? Number.MAX_SAFE_INTEGER
  const sorted = [...results.values()].sort((a, b) => Date.parse(a.start_time) - Date.parse(b.start_time) || order(a) - order(b))
  return { path: runDir, kind: 'run-dir', runId: manifest.run_id, manifest, results: sorted }
}

/** A run for --resume and list --run: the aggregated files as written, bad ones named as problems. */
export function readRun(runDir: string): RunContents {
  const dir = path.join(runDir, 'aggregated')
  const results = new Map<string, AggregatedResult>()
  const problems: string[] = []
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const file = path.join(dir, f)
    if (!f.endsWith('.json')) {
      if (!f.endsWith('.tmp')) problems.push(`${file}: not a llem result file (unexpected name)`)
      continue
    }
    try {
      const r = readResultFile(file, 'aggregated')
      results.set(r.experiment_id, r)
    } catch (e) {
      // the reader's messages name the file first; an unexpected error is named here
      problems.push(e instanceof InputError ? e.message.split('\n')[0] : `${file}: corrupt (${(e as Error).message.split('\n')[0]})`)
    }
  }
  return { runDir, results, problems }
}
