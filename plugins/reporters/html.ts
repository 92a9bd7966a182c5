/**
 * One self-contained HTML file per run: a sortable results table, Pareto frontiers of energy per
 * token against latency and throughput across sweep points, each experiment's power timeline (from
 * the run's timeseries CSVs), its warnings, and the error of any that failed. It opens from disk with
 * no network at all: styles and script are inline, charts are inline SVG, the fonts are the system's.
 * The page is built in helpers under html/; this file collects the results and writes the file.
 */
import path from 'node:path'
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { writeFileAtomic } from 'llem/plugin'
import { renderReport, type ReportInput } from './html/page.js'
import { loadTimeline, type TimelineData } from './html/timeline.js'

export interface HtmlOptions {
  /** points per power series after downsampling (default 400) */
  maxTimelinePoints?: number
}

const DEFAULT_POINTS = 400

export async function buildReport(summary: { runId: string; runDir: string; status: ReportInput['status']; durationMs: number; skipped: unknown[] }, results: AggregatedResult[], options: HtmlOptions = {}): Promise<string> {
  const maxPoints = Math.max(8, Math.floor(options.maxTimelinePoints ?? DEFAULT_POINTS))
  const timelines = new Map<string, TimelineData | null>()
  // one at a time: a run of a thousand experiments must not open a thousand files at once
  for (const r of results) timelines.set(r.experiment_id, await loadTimeline(r, summary.runDir, maxPoints))
  return renderReport({ runId: summary.runId, status: summary.status, durationMs: summary.durationMs, results, timelines, skipped: summary.skipped.length })
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
      await writeFileAtomic(file, await buildReport(summary, all, options))
      // unlike the data files, a report is meant to be opened: always say where it is
      ctx.stdout.write(`HTML report: ${file}\n`)
    },
  }
}

export default (ctx: ReporterContext): Reporter => createHtmlReporter(ctx)
