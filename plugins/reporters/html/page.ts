/**
 * Assembles the report page. Everything is rendered here, in Node, to static HTML and SVG: the page
 * reads fine with scripts off, and the only script sorts the table. One file, nothing to fetch.
 */
import type { ParetoSummary, AggregatedResult } from 'llem/plugin'
import { paretoSummary } from 'llem/plugin'
import { formatDuration } from '../console.js'
import { varyingConfig } from '../varying-config.js'
import { contentSecurityPolicy, SCRIPT, STYLE } from './assets.js'
import { escapeHtml } from './escape.js'
import { PARETO_CHARTS, paretoFigure, tradeOffHtml } from './pareto.js'
import { anchorFor, formatEnergyPerToken, resultsTable, tableColumns } from './results-table.js'
import { timelineFigure, type TimelineData } from './timeline.js'

export interface ReportInput {
  runId: string
  status: 'passed' | 'failed' | 'interrupted'
  durationMs: number
  results: AggregatedResult[]
  /** by experiment id; null where the run directory holds no timeseries for it */
  timelines: Map<string, TimelineData | null>
  /** experiments planned but skipped by filters, shown as a count */
  skipped: number
  /** the run's sweep view (core/results/pareto.ts); computed from results when absent */
  pareto?: ParetoSummary
}

function warningsOf(r: AggregatedResult): string[] {
  return [...r.measurement_warnings, ...r.aggregation.warnings.filter((w) => !r.measurement_warnings.includes(w))]
}

function errorHtml(r: AggregatedResult): string {
  if (!r.error) return r.status === 'completed' ? '' : `<div class="error"><strong>${escapeHtml(r.status)}</strong>: no error recorded.</div>`
  const tail = r.error.log_tail?.length ? `<pre>${escapeHtml(r.error.log_tail.join('\n'))}</pre>` : ''
  return `<div class="error"><strong>${escapeHtml(r.error.code)}</strong> during ${escapeHtml(r.error.phase)}: ${escapeHtml(r.error.message)}${tail}</div>`
}

function experimentSection(r: AggregatedResult, i: number, timeline: TimelineData | null | undefined, repeated: boolean): string {
  const meta = [
    `<span class="badge ${escapeHtml(r.status)}">${escapeHtml(r.status)}</span>`,
    `<span>${escapeHtml(r.bench.full_name)}</span>`,
    `<span>${escapeHtml(r.backend)}${r.backend_version ? ` ${escapeHtml(r.backend_version)}` : ''}</span>`,
    `<span>${escapeHtml(r.model_name)}</span>`,
    r.status === 'completed' ? `<span>${escapeHtml(formatEnergyPerToken(r.avg_energy_per_token_j))}/token (${escapeHtml(r.energy_method.replace('_', ' '))}, ${escapeHtml(r.energy_confidence)} confidence)</span>` : '',
    Object.keys(r.sweep_point).length ? `<span>${escapeHtml(Object.entries(r.sweep_point).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', '))}</span>` : '',
    repeated ? `<span>repeat ${r.repeat_index}</span>` : '',
  ].filter(Boolean)
  const warnings = warningsOf(r)
  const warningList = warnings.length
    ? `<ul class="warnings" aria-label="measurement warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`
    : ''
  return [
    `<section class="experiment ${escapeHtml(r.status)}" id="${anchorFor(i)}" data-experiment-id="${escapeHtml(r.experiment_id)}">`,
    `<h3>${escapeHtml(r.experiment_name)}</h3>`,
    `<p class="meta">${meta.join('')}</p>`,
    errorHtml(r),
    warningList,
    // a failed experiment has no measured window: its error says more than an empty chart would
    r.status === 'completed' || timeline ? timelineFigure(r, timeline ?? null) : '',
    '</section>',
  ].join('')
}

function summaryLine(input: Omit<ReportInput, 'timelines'>): string {
  const count = (s: AggregatedResult['status']) => input.results.filter((r) => r.status === s).length
  const parts = [`${count('completed')} completed`, `${count('failed')} failed`]
  if (count('interrupted')) parts.push(`${count('interrupted')} interrupted`)
  if (input.skipped) parts.push(`${input.skipped} skipped`)
  const warnings = input.results.reduce((n, r) => n + warningsOf(r).length, 0)
  if (warnings) parts.push(`${warnings} measurement warning${warnings === 1 ? '' : 's'}`)
  return parts.join(', ')
}

export interface ReportParts {
  /** the page up to the first experiment's section */
  head: string
  /** the i-th experiment's section, with its timeline */
  section(i: number, timeline: TimelineData | null | undefined): string
  /** the page after the last experiment's section */
  tail: string
}

/**
 * The page in three parts, so that the experiments (a chart each, a thousand in a large sweep) can be
 * rendered and written one at a time, each with its timeline read just before: the timelines of a
 * whole run are never held at once. head + every section + tail is the page renderReport returns.
 */
export function reportParts(input: Omit<ReportInput, 'timelines'>): ReportParts {
  const { results } = input
  const varying = varyingConfig(results)
  const columns = tableColumns(varying.keys, varying.values)
  const llemVersion = results[0]?.llem_version ?? 'unknown'
  const estimated = results.some((r) => r.energy_method === 'estimate')
  const seen = new Set<string>()
  const repeats = new Set(results.flatMap((r) => (seen.has(r.task_hash) ? [r.task_hash] : (seen.add(r.task_hash), []))))
  const body = [
    '<header>',
    `<h1>llem report</h1>`,
    `<p class="meta"><span>run ${escapeHtml(input.runId)}</span><span class="badge ${escapeHtml(input.status)}">${escapeHtml(input.status)}</span><span>${escapeHtml(summaryLine(input))}</span><span>${escapeHtml(formatDuration(input.durationMs))}</span><span>llem ${escapeHtml(llemVersion)}</span></p>`,
    estimated ? `<p class="notice">Some energy figures are <strong>estimates</strong> (a model of CPU power, not a meter): compare them with each other, not with measured numbers.</p>` : '',
    '</header>',
    '<main>',
    `<h2 id="results">Results</h2>`,
    results.length ? resultsTable(results, columns) : '<p class="empty">This run has no results.</p>',
    `<h2 id="pareto">Pareto frontiers</h2>`,
    `<p class="note">Each point is one experiment; filled and joined points are on its bench's frontier (no other setting of that bench is better on both axes). Hover a point for its name.</p>`,
    `<div class="charts">${PARETO_CHARTS.map((c) => paretoFigure(results, c)).join('')}</div>`,
    `<h2 id="trade-off">Time-energy trade-off and the best setting under the SLO</h2>`,
    `<p class="note">One point per setting (repeats pooled), J/token against the bench's latency (pareto.latency, E2E by default) at p50 and p99; the ringed point is the setting with the lowest J/token whose requests met the SLO (slo.attainment of them, 99% by default).</p>`,
    tradeOffHtml(input.pareto ?? paretoSummary({ current: results })),
    `<h2 id="experiments">Experiments</h2>`,
  ]
  const head = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(STYLE, SCRIPT))}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="llem ${escapeHtml(llemVersion)}">`,
    // an inline empty icon: without one a browser asks the server for /favicon.ico
    '<link rel="icon" href="data:,">',
    `<title>llem report ${escapeHtml(input.runId)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body>${body.join('\n')}`,
    '<div class="experiments">',
  ]
  return {
    // the sections sit side by side inside their div, with no line breaks between them
    head: head.join('\n'),
    section: (i, timeline) => experimentSection(results[i], i, timeline, repeats.has(results[i].task_hash)),
    tail: ['</div>', '</main>', `<script>${SCRIPT}</script>`, '</body>', '</html>'].join('\n'),
  }
}

export function renderReport(input: ReportInput): string {
  const parts = reportParts(input)
  return parts.head + input.results.map((r, i) => parts.section(i, input.timelines.get(r.experiment_id))).join('') + parts.tail
}
