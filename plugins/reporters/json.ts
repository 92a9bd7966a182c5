/**
 * Writes the whole run as one JSON file at the end: the results in the order they finished, under a
 * small header saying which run and schema they belong to. Written atomically, so a crash mid-write
 * leaves the previous file (or none), never half a JSON document.
 */
import type { Reporter, ReporterContext, RepeatSummary } from 'llem/plugin'
import { paretoSummary, type ParetoSummary, SCHEMA_VERSION, type AggregatedResult } from 'llem/plugin'
import { runFileReporter } from './lib/run-file.js'

export interface JsonReport {
  schema_version: string
  llem_version: string
  run_id: string
  status: 'passed' | 'failed' | 'interrupted'
  duration_ms: number
  /** repeats of one configuration (same bench and task_hash, 2 or more): the mean of each headline
   *  number with its Student t 95% interval, and the values it came from; [] when nothing repeated */
  repeats: RepeatSummary[]
  /** the sweep view: per bench, J/token against its latency at p50 and p99, the Pareto frontier of
   *  each and the setting with the lowest J/token meeting the SLO (core/results/pareto.ts) */
  pareto?: ParetoSummary
  results: AggregatedResult[]
}

export function createJsonReporter(ctx: ReporterContext): Reporter {
  return runFileReporter(ctx, {
    name: 'json',
    defaultName: 'results.json',
    label: 'JSON report',
    render: (results, summary) =>
      jsonPieces({
        schema_version: results[0]?.schema_version ?? SCHEMA_VERSION,
        llem_version: results[0]?.llem_version ?? 'unknown',
        run_id: summary.runId,
        status: summary.status,
        duration_ms: summary.durationMs,
        repeats: summary.repeats ?? [],
        pareto: summary.pareto ?? paretoSummary({ current: results }),
        results,
      }),
  })
}

/**
 * JSON.stringify(report, null, 2) + '\n', byte for byte, one result at a time: a run of 1,000
 * experiments with their per-request data is hundreds of MB as one string.
 */
export function* jsonPieces(report: JsonReport): Generator<string> {
  const { results, ...head } = report
  const top = JSON.stringify(head, null, 2)
  if (results.length === 0) {
    yield `${top.slice(0, -2)},\n  "results": []\n}\n`
    return
  }
  yield `${top.slice(0, -2)},\n  "results": [\n`
  // each result stringified inside a one-element copy of the envelope, so JSON.stringify itself
  // indents it as an element of `results`; the envelope's own lines are cut off again
  const open = '{\n  "results": [\n'.length
  const close = '\n  ]\n}'.length
  for (const [i, r] of results.entries()) {
    const s = JSON.stringify({ results: [r] }, null, 2)
    yield `${s.slice(open, s.length - close)}${i < results.length - 1 ? ',' : ''}\n`
  }
  yield '  ]\n}\n'
}

export default (ctx: ReporterContext): Reporter => createJsonReporter(ctx)
