/**
 * A Markdown summary of the run: one table row per experiment (status, J/token, output tok/s, TTFT and
 * ITL medians, average power, warnings), for a pull-request comment or a GitHub job summary. Written
 * to its outputFile (default `<runDir>/summary.md`) and, when $GITHUB_STEP_SUMMARY names a file (as
 * it does inside a GitHub Actions step), appended there too so it shows on the run's summary page.
 */
import { appendFile } from 'node:fs/promises'
import type { Reporter, ReporterContext, RunSummary, AggregatedResult } from 'llem/plugin'
import { runFileReporter } from './lib/run-file.js'

/** Four significant digits, no trailing zeros; an em dash for what was not measured. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  return String(Number(v.toPrecision(digits)))
}

/** A table cell: pipes would end the cell and line breaks the row. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}

const STATUS: Record<AggregatedResult['status'], string> = { completed: '✅ completed', failed: '❌ failed', interrupted: '⚠️ interrupted' }

export const MARKDOWN_COLUMNS = ['Experiment', 'Status', 'J/token', 'Output tok/s', 'TTFT p50 (ms)', 'ITL p50 (ms)', 'Avg power (W)', 'Warnings'] as const

function row(r: AggregatedResult): string[] {
  const done = r.status === 'completed'
  // ± the 95% uncertainty of the error model, where it gave one
  const unc = r.avg_energy_per_token_uncertainty_j
  const jpt = r.avg_energy_per_token_j !== null && unc != null ? `${fmt(r.avg_energy_per_token_j)} ± ${fmt(unc)}` : fmt(r.avg_energy_per_token_j)
  // an estimate is a model, not a measurement: say so next to the number
  const energy = r.avg_energy_per_token_j !== null && r.energy_method === 'estimate' ? `${jpt} (estimate)` : jpt
  const power = r.total_energy_j !== null && (r.total_inference_time_sec ?? 0) > 0 ? r.total_energy_j / r.total_inference_time_sec! : null
  return [
    r.experiment_name,
    done ? STATUS[r.status] : `${STATUS[r.status]}${r.error ? `: ${r.error.code}` : ''}`,
    energy,
    done ? fmt(r.output_tokens_per_second) : '—',
    fmt(r.latency_stats?.ttft_median_ms),
    fmt(r.latency_stats?.itl_median_ms),
    fmt(power),
    String(r.measurement_warnings.length),
  ]
}

export function toMarkdown(summary: Pick<RunSummary, 'runId' | 'status' | 'durationMs'>, results: readonly AggregatedResult[]): string {
  const count = (s: AggregatedResult['status']) => results.filter((r) => r.status === s).length
  const tally = [`${count('completed')} completed`, `${count('failed')} failed`, ...(count('interrupted') ? [`${count('interrupted')} interrupted`] : [])].join(', ')
  const lines = [
    `## llem results: run \`${summary.runId}\``,
    '',
    `${tally} · ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s`,
    '',
    `| ${MARKDOWN_COLUMNS.join(' | ')} |`,
    `|${MARKDOWN_COLUMNS.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...results.map((r) => `| ${row(r).map(cell).join(' | ')} |`),
  ]
  if (results.some((r) => r.energy_method === 'estimate')) lines.push('', '_(estimate): energy modelled from utilisation, not measured; compare estimates only with estimates._')
  return lines.join('\n') + '\n'
}

export function createMarkdownReporter(ctx: ReporterContext): Reporter {
  return runFileReporter(ctx, {
    name: 'markdown',
    defaultName: 'summary.md',
    label: 'Markdown summary',
    render: (results, summary) => toMarkdown(summary, results),
    async after(text) {
      const step = process.env.GITHUB_STEP_SUMMARY
      // the step summary is shared by every command of the step: append, never replace
      if (step && text !== null) await appendFile(step, text + '\n')
    },
  })
}

export default (ctx: ReporterContext): Reporter => createMarkdownReporter(ctx)
