/**
 * GitHub Actions workflow commands on stdout: an `::error` annotation for each failed experiment and
 * a `::warning` for each measurement warning (and each interrupted experiment), pinned to the bench's
 * file and line so they show on the pull request's diff. Annotations go out as each experiment ends;
 * on a re-render (only onRunEnd) the run's results are annotated then. Escaping follows the runner's
 * rules: in the message % CR LF, in property values also ':' and ','.
 */
import path from 'node:path'
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { sanitiseLine, sanitiseText } from 'llem/plugin'

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

export type AnnotationLevel = 'error' | 'warning' | 'notice'

export interface AnnotationProps {
  file?: string
  line?: number
  col?: number
  title?: string
}

/**
 * `::level file=...,line=...,col=...,title=...::message`, properties left out when unset. Messages and
 * titles quote servers and result files: control characters become visible escapes first (a message
 * keeps its line breaks, which the runner's escaping carries).
 */
export function workflowCommand(level: AnnotationLevel, props: AnnotationProps, message: string): string {
  const list = (['file', 'line', 'col', 'title'] as const).filter((k) => props[k] !== undefined).map((k) => `${k}=${escapeProperty(sanitiseLine(String(props[k])))}`)
  return `::${level}${list.length ? ' ' + list.join(',') : ''}::${escapeData(sanitiseText(message))}`
}

export interface Regression {
  experiment: string
  metric: string
  baseline: number
  current: number
  /** the allowed change, in percent (5 for 5%) */
  thresholdPct: number
  /** where to pin the annotation: the bench's file and line, relative to the repository root */
  file?: string
  line?: number
  /** e.g. 'J/token'; printed after the values */
  unit?: string
  /** 'error' (default) fails the check visually; 'warning' for a soft gate */
  level?: 'error' | 'warning'
}

const num = (v: number) => String(Number(v.toPrecision(4)))

/** One annotation line for a metric that moved past its threshold, for `llem compare` and `--compare`. */
export function annotateRegression(r: Regression): string {
  const change = r.baseline !== 0 ? ((r.current - r.baseline) / Math.abs(r.baseline)) * 100 : Infinity
  const sign = change >= 0 ? '+' : ''
  const unit = r.unit ? ` ${r.unit}` : ''
  const message = `${r.experiment}: ${r.metric} ${num(r.baseline)}${unit} -> ${num(r.current)}${unit} (${sign}${Number.isFinite(change) ? change.toFixed(1) : 'inf'}%, threshold ${r.thresholdPct}%)`
  return workflowCommand(r.level ?? 'error', { file: r.file, line: r.line, title: `llem regression: ${r.metric}` }, message)
}

/** `benches/x.bench.ts:4:3` -> file, line, column; a bare file has no line. */
export function parseLocation(location: string, fallbackFile: string): AnnotationProps {
  // bench locations are file:line, sometimes file:line:col
  const m = /^(.*?):(\d+)(?::(\d+))?$/.exec(location)
  // a run without a bench file (location 'command line', file ''): there is no file to annotate
  return m ? { file: m[1], line: Number(m[2]), ...(m[3] ? { col: Number(m[3]) } : {}) } : fallbackFile ? { file: fallbackFile } : {}
}

/** The annotations one result deserves: its failure, then each of its measurement warnings. */
export function resultAnnotations(r: AggregatedResult, relocate: (file: string) => string = (f) => f): string[] {
  const where = parseLocation(r.bench.location, r.bench.file)
  const at = { ...where, file: where.file === undefined ? undefined : relocate(where.file) }
  const out: string[] = []
  if (r.status === 'failed') {
    const e = r.error
    out.push(workflowCommand('error', { ...at, title: `llem: ${r.experiment_name} failed` }, e ? `${e.code} during ${e.phase}: ${e.message}` : 'failed'))
  } else if (r.status === 'interrupted') {
    out.push(workflowCommand('warning', { ...at, title: `llem: ${r.experiment_name} interrupted` }, r.error?.message ?? 'interrupted before it finished'))
  }
  for (const w of r.measurement_warnings) out.push(workflowCommand('warning', { ...at, title: `llem measurement warning: ${r.experiment_name}` }, w))
  return out
}

export function createGithubActionsReporter(ctx: ReporterContext): Reporter {
  const seen = new Set<string>()
  // annotations name files relative to the checkout; the project may live in a subdirectory of it
  const workspace = process.env.GITHUB_WORKSPACE
  const relocate = (file: string) => (workspace ? path.relative(workspace, path.resolve(ctx.rootDir, file)).split(path.sep).join('/') : file)
  const emit = (r: AggregatedResult) => {
    if (seen.has(r.experiment_id)) return
    seen.add(r.experiment_id)
    const lines = resultAnnotations(r, relocate)
    if (lines.length) ctx.stdout.write(lines.join('\n') + '\n')
  }
  return {
    name: 'github-actions',
    onExperimentEnd(_info, result) {
      emit(result)
    },
    onRunEnd(summary) {
      for (const r of summary.results) emit(r)
    },
  }
}

export default (ctx: ReporterContext): Reporter => createGithubActionsReporter(ctx)
