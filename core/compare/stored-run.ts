/**
 * A finished run read back from disk for `llem report` and `llem compare`: a run directory (read by the
 * one reader of run directories, results/run-dir.ts, which aggregates again from raw/), or a
 * results.json (the json reporter's file), accepted for comparing against a baseline kept as a single
 * file. Anything that is not a valid llem file is bad input (exit 2), named.
 */
import path from 'node:path'
import { InputError } from '../errors.js'
import { locateRun, readJson, readRunDir, validated, type StoredRun } from '../results/run-dir.js'
import { aggregatedResultSchema, manifestSchema, type AggregatedResult, type Manifest } from '../results/schema.js'
import type { PlannedExperiment } from './compare.js'

export async function loadStoredRun(name: string, cwd: string, resultsDir: () => Promise<string>): Promise<StoredRun> {
  const where = await locateRun(name, cwd, resultsDir)
  return where.kind === 'run-dir' ? readRunDir(where.path) : readResultsFile(where.path)
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

/** What a run's manifest says it planned to run (none for a results file, which has no plan). */
export function plannedExperiments(manifest: Manifest | null): PlannedExperiment[] {
  return (manifest?.experiments ?? [])
    .filter((x) => x.mode === 'run')
    .map((x) => ({ id: x.id, name: x.name, bench: x.bench, task_hash: x.task_hash, file: x.bench_file, location: x.bench_location, series: x.series, effective_config: x.effective_config }))
}

/** The manifest of a run directory just written (`llem bench --compare`): its plan, series members included. */
export function readManifest(runDir: string): Manifest {
  const file = path.join(runDir, 'manifest.json')
  return validated(manifestSchema, readJson(file), file, 'manifest')
}
