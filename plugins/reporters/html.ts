/**
 * One self-contained HTML file per run: a sortable results table, Pareto frontiers of energy per
 * token against latency and throughput across sweep points, each experiment's power timeline (from
 * the run's timeseries CSVs), its warnings, and the error of any that failed. It opens from disk with
 * no network at all: styles and script are inline, charts are inline SVG, the fonts are the system's.
 * The page is built in helpers under html/; this file collects the results and writes the file.
 */
import path from 'node:path'
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { writeFileAtomicPieces } from 'llem/plugin'
import { reportParts, type ReportInput } from './html/page.js'
import { loadTimeline, type TimelineData } from './html/timeline.js'

export interface HtmlOptions {
  /** points per power series after downsampling (default 400) */
  maxTimelinePoints?: number
}

const DEFAULT_POINTS = 400

// timelines being read while the current experiment is rendered: enough to keep the disk busy, few
// enough that a run of a thousand experiments never has more than a handful of files open or parsed
const READ_AHEAD = 4

/** The page, a piece at a time: the parts before and after the experiments, and each experiment's section. */
export async function* reportPieces(summary: { runId: string; runDir: string; status: ReportInput['status']; durationMs: number; skipped: unknown[] }, results: AggregatedResult[], options: HtmlOptions = {}): AsyncGenerator<string> {
  const maxPoints = Math.max(8, Math.floor(options.maxTimelinePoints ?? DEFAULT_POINTS))
  const parts = reportParts({ runId: summary.runId, status: summary.status, durationMs: summary.durationMs, results, skipped: summary.skipped.length })
  yield parts.head
  const ahead: Array<Promise<TimelineData | null>> = []
  for (let i = 0; i < results.length; i++) {
    while (ahead.length < READ_AHEAD && i + ahead.length < results.length) {
      const read = loadTimeline(results[i + ahead.length], summary.runDir, maxPoints)
      // its failure is thrown when its turn comes; until then it must not count as unhandled
      read.catch(() => {})
      ahead.push(read)
    }
    yield parts.section(i, await ahead.shift()!)
  }
  yield parts.tail
}

export function createHtmlReporter(ctx: ReporterContext): Reporter {
  const results: AggregatedResult[] = []
  const file = ctx.outputFile ?? path.join(ctx.runDir, 'report.html')
  const options = ctx.options as HtmlOptions
  return {
    name: 'html',
    onExperimentEnd(_info, result) {
      results.push(result)
    },
    async onRunEnd(summary) {
      // the run's own list, which after --resume also holds the experiments completed before
      const all = summary.results.length >= results.length ? summary.results : results
      await writeFileAtomicPieces(file, reportPieces(summary, all, options))
      // unlike the data files, a report is meant to be opened: always say where it is
      ctx.stdout.write(`HTML report: ${file}\n`)
    },
  }
}

export default (ctx: ReporterContext): Reporter => createHtmlReporter(ctx)
