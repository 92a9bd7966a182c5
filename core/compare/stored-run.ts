/**
 * A finished run read back from disk for `llem report` and `llem compare`. From a run directory the
 * results are aggregated again from raw/ (late aggregation), not taken from aggregated/ or results.json:
 * the raw results are the record, everything else is derived from them and may be missing, stale or
 * from an older llem. A results.json (the json reporter's file) is accepted too, for comparing against
 * a baseline kept as a single file. Anything that is not a valid llem file is bad input (exit 2), named.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import type { z } from 'zod'
import { InputError } from '../errors.js'
import { aggregate } from '../results/aggregate.js'
import { findRun } from '../results/run-dir.js'
import { aggregatedResultSchema, manifestSchema, rawProcessResultSchema, type AggregatedResult, type Manifest, type RawProcessResult } from '../results/schema.js'
import { checkResultNames } from '../results/safe-names.js'

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

/**
 * What the user named: a run directory, a results.json, or a run id (or 'latest') in `resultsDir`.
 * `resultsDir` is asked for only when the name is not a path that exists (loading it may load a config).
 */
export async function locateRun(name: string, cwd: string, resultsDir: () => Promise<string>): Promise<{ path: string; kind: StoredRun['kind'] }> {
  const abs = path.resolve(cwd, name)
  if (existsSync(abs)) {
    if (statSync(abs).isFile()) return path.basename(abs) === 'manifest.json' ? { path: path.dirname(abs), kind: 'run-dir' } : { path: abs, kind: 'results-file' }
    if (existsSync(path.join(abs, 'manifest.json'))) return { path: abs, kind: 'run-dir' }
    const runs = readdirSync(abs).filter((d) => existsSync(path.join(abs, d, 'manifest.json'))).sort()
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

export async function loadStoredRun(name: string, cwd: string, resultsDir: () => Promise<string>): Promise<StoredRun> {
  const where = await locateRun(name, cwd, resultsDir)
  return where.kind === 'run-dir' ? readRunDir(where.path) : readResultsFile(where.path)
}

function readJson(file: string): unknown {
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
function validated<S extends z.ZodType>(schema: S, value: unknown, file: string, what: string, prefix = ''): z.infer<S> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return value as z.infer<S>
  const issue = parsed.error.issues[0]
  const at = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)'
  throw new InputError('RESULTS_INVALID', `${file}: not a llem ${what}: ${at}: ${issue.message}`, { file, where: at })
}

export function readRunDir(runDir: string): StoredRun {
  const manifestFile = path.join(runDir, 'manifest.json')
  if (!existsSync(manifestFile)) throw new InputError('RESULTS_INVALID', `${runDir} is not a llem run directory: ${manifestFile} is missing`, { file: manifestFile })
  const manifest = validated(manifestSchema, readJson(manifestFile), manifestFile, 'manifest')
  const jsonFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [])
  const results = new Map<string, AggregatedResult>()
  const rawDir = path.join(runDir, 'raw')
  for (const id of existsSync(rawDir) ? readdirSync(rawDir).sort() : []) {
    const dir = path.join(rawDir, id)
    if (!statSync(dir).isDirectory()) continue
    const raws = jsonFiles(dir).map((f) => validated(rawProcessResultSchema, readJson(path.join(dir, f)), path.join(dir, f), 'raw result') as RawProcessResult)
    // names in the files become paths (reporters' file names, raw/<id>/): checked before any is used
    raws.forEach((r, i) => checkResultNames(r, path.join(dir, jsonFiles(dir)[i])))
    if (raws.length) results.set(id, aggregate(raws.sort((a, b) => a.process_index - b.process_index)))
  }
  // an experiment without raw files (written by an llem that kept none, or raw/ pruned): its aggregated
  // file embeds the raw results, so it is aggregated again from those
  const aggDir = path.join(runDir, 'aggregated')
  for (const f of jsonFiles(aggDir)) {
    const id = f.slice(0, -'.json'.length)
    if (results.has(id)) continue
    const file = path.join(aggDir, f)
    const agg = validated(aggregatedResultSchema, readJson(file), file, 'aggregated result') as AggregatedResult
    checkResultNames(agg, file)
    results.set(id, agg.process_results.length ? aggregate(agg.process_results) : agg)
  }
  const planned = new Map(manifest.experiments.map((x, i) => [x.id, i]))
  const order = (r: AggregatedResult) => planned.get(r.experiment_id) ?? Number.MAX_SAFE_INTEGER
  const sorted = [...results.values()].sort((a, b) => Date.parse(a.start_time) - Date.parse(b.start_time) || order(a) - order(b))
  return { path: runDir, kind: 'run-dir', runId: manifest.run_id, manifest, results: sorted }
}

/** The json reporter's file: `{ run_id, results: AggregatedResult[] }`. */
export function readResultsFile(file: string): StoredRun {
  const data = readJson(file)
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { results?: unknown }).results))
    throw new InputError('RESULTS_INVALID', `${file}: not a llem results file: expected the json reporter's { run_id, results: [...] } (or give the run directory)`, { file })
  const report = data as { run_id?: unknown; results: unknown[] }
  const results = report.results.map((r, i) => validated(aggregatedResultSchema, r, file, 'results file', `results.${i}`) as AggregatedResult)
  const runId = typeof report.run_id === 'string' ? report.run_id : (results[0]?.run_id ?? path.basename(file))
  return { path: file, kind: 'results-file', runId, manifest: null, results }
}
