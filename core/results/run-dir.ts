/**
 * The results directory as shared state: a lock file so two llem processes never write one directory
 * (see run-lock.ts), and reading an earlier run back for --resume and `llem list --run`, naming every
 * corrupt or foreign file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { InputError } from '../errors.js'
import { aggregatedResultSchema, type AggregatedResult } from './schema.js'
import { checkResultNames } from './safe-names.js'

export { acquireLock, type Lock } from './run-lock.js'

export interface RunContents {
  runDir: string
  results: Map<string, AggregatedResult>
  /** "file: why" for every file that is not a valid llem result */
  problems: string[]
}

export function findRun(resultsDir: string, which: string): string {
  if (!existsSync(resultsDir)) throw new InputError('RESULTS_INVALID', `no results directory ${resultsDir}: nothing to resume`)
  if (!statSync(resultsDir).isDirectory()) throw new InputError('RESULTS_INVALID', `results directory ${resultsDir}: not a directory (set by --results-dir, LLEM_RESULTS_DIR or resultsDir)`, { file: resultsDir })
  const runs = readdirSync(resultsDir).filter((d) => existsSync(path.join(resultsDir, d, 'manifest.json'))).sort()
  const id = which === 'latest' || which === '' ? runs[runs.length - 1] : which
  if (!id || !runs.includes(id)) throw new InputError('RESULTS_INVALID', `no run ${which === 'latest' ? '' : `"${which}" `}in ${resultsDir}${runs.length ? ` (runs: ${runs.slice(-5).join(', ')})` : ''}`)
  return path.join(resultsDir, id)
}

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
      const parsed = aggregatedResultSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')))
      if (!parsed.success) problems.push(`${file}: not a llem result (${parsed.error.issues.slice(0, 2).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`)
      else {
        // a crafted experiment id would become a path (raw/<id>/ on --resume): such a result is a problem, not a result
        checkResultNames(parsed.data, file)
        results.set(parsed.data.experiment_id, parsed.data)
      }
    } catch (e) {
      problems.push(`${file}: corrupt (${(e as Error).message.split('\n')[0]})`)
    }
  }
  return { runDir, results, problems }
}
