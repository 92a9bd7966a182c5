/**
 * Pareto frontiers across sweep points: which settings give the least energy per token for a given
 * latency (or throughput), and which are beaten on both counts by another setting. Points are grouped
 * by bench, because a frontier across different workloads would compare unlike things; each bench
 * gets its own colour and its own frontier.
 */
import type { ParetoSummary, AggregatedResult } from 'llem/plugin'
import { maxOf, settingLabel } from 'llem/plugin'
import { coord, escapeHtml } from './escape.js'
import { FRAME, SERIES_COLOURS, frameScales, frameSvg, legendHtml, niceAxis, svgOpen, valueLabel } from './svg-chart.js'

export interface ParetoPoint {
  x: number
  y: number
  group: string
  id: string
  label: string
}

export type Goal = 'min' | 'max'

/** `a` dominates `b`: at least as good on both axes and better on one. */
function dominates(a: ParetoPoint, b: ParetoPoint, xGoal: Goal): boolean {
  const xBetterEq = xGoal === 'min' ? a.x <= b.x : a.x >= b.x
  const xBetter = xGoal === 'min' ? a.x < b.x : a.x > b.x
  return xBetterEq && a.y <= b.y && (xBetter || a.y < b.y)
}

/**
 * The points no other point dominates (y is always minimised: it is energy per token). Quadratic, which
 * is fine at the hundreds of sweep points a report holds and keeps ties (equal points) obvious: both stay.
 */
export function paretoFrontier(points: ParetoPoint[], xGoal: Goal): ParetoPoint[] {
  const front = points.filter((p) => !points.some((q) => q !== p && dominates(q, p, xGoal)))
  return front.sort((a, b) => a.x - b.x || a.y - b.y)
}

export interface ParetoChart {
  title: string
  xTitle: string
  xGoal: Goal
  x: (r: AggregatedResult) => number | null | undefined
}

export const PARETO_CHARTS: ParetoChart[] = [
  { title: 'Energy per token against inter-token latency (p50)', xTitle: 'ITL p50 (ms), lower is better', xGoal: 'min', x: (r) => r.latency_stats?.itl_median_ms },
  { title: 'Energy per token against output throughput', xTitle: 'output tokens/s, higher is better', xGoal: 'max', x: (r) => r.output_tokens_per_second },
]

/** J/token in the unit that keeps the axis labels short: J, mJ or µJ. */
export function energyUnit(values: number[]): { unit: string; factor: number } {
  const max = Math.max(0, maxOf(values.map(Math.abs)))
  if (max > 0 && max < 1e-5) return { unit: 'µJ', factor: 1e6 }
  if (max > 0 && max < 1e-2) return { unit: 'mJ', factor: 1e3 }
  return { unit: 'J', factor: 1 }
}

export function paretoPoints(results: AggregatedResult[], chart: ParetoChart): ParetoPoint[] {
  const points: ParetoPoint[] = []
  for (const r of results) {
    const x = chart.x(r)
    const y = r.avg_energy_per_token_j
    if (r.status !== 'completed' || typeof x !== 'number' || !Number.isFinite(x) || y === null || !Number.isFinite(y)) continue
    // zero throughput is a run that produced nothing, not a point on a trade-off
    if (chart.xGoal === 'max' && x <= 0) continue
    points.push({ x, y, group: r.bench.full_name, id: r.experiment_id, label: r.experiment_name })
  }
  return points
}

/** The chart as a <figure>: frontier points filled and joined, dominated points hollow. */
export function paretoFigure(results: AggregatedResult[], chart: ParetoChart): string {
  const points = paretoPoints(results, chart)
  const head = `<figure class="chart pareto"><figcaption>${escapeHtml(chart.title)}</figcaption>`
  if (points.length === 0) return `${head}<p class="empty">No completed experiment has both a measured energy per token and this metric.</p></figure>`
  const { unit, factor } = energyUnit(points.map((p) => p.y))
  const xAxis = niceAxis(points.map((p) => p.x), { pad: 0.06 })
  const yAxis = niceAxis(points.map((p) => p.y * factor), { pad: 0.06 })
  const s = frameScales(FRAME, xAxis, yAxis)
  const groups = [...new Set(points.map((p) => p.group))]
  const body: string[] = [frameSvg(FRAME, xAxis, yAxis, chart.xTitle, `${unit}/token, lower is better`)]
  let frontierCount = 0
  for (const [gi, group] of groups.entries()) {
    const colour = `series-${gi % SERIES_COLOURS}`
    const mine = points.filter((p) => p.group === group)
    const front = paretoFrontier(mine, chart.xGoal)
    frontierCount += front.length
    if (front.length > 1) body.push(`<polyline class="frontier-line ${colour}" points="${front.map((p) => `${coord(s.x(p.x))},${coord(s.y(p.y * factor))}`).join(' ')}"/>`)
    for (const p of mine) {
      const onFront = front.includes(p)
      const tip = `${p.label}\n${valueLabel(p.x)} (${chart.xTitle.split(',')[0]}), ${valueLabel(p.y * factor)} ${unit}/token${onFront ? '\non the Pareto frontier' : ''}`
      body.push(
        `<circle class="point ${colour}${onFront ? ' frontier' : ''}" cx="${coord(s.x(p.x))}" cy="${coord(s.y(p.y * factor))}" r="${onFront ? 5.5 : 4}" data-experiment-id="${escapeHtml(p.id)}" data-frontier="${onFront}"><title>${escapeHtml(tip)}</title></circle>`,
      )
    }
  }
  const label = `${chart.title}: ${points.length} points, ${frontierCount} on the frontier`
  const svg = `${svgOpen(FRAME, 'pareto-chart', label, `data-points="${points.length}" data-frontier-points="${frontierCount}"`)}${body.join('')}</svg>`
  return `${head}${svg}${legendHtml(groups)}</figure>`
}

/**
 * The sweep view of core/results/pareto.ts: per bench with two settings or more, J/token against its
 * latency (the bench's `pareto.latency`, E2E by default) at p50 and at p99, repeats pooled into one
 * point per setting, frontier points filled and joined, the lowest-J/token setting meeting the SLO
 * ringed, and a table of the same.
 */
export function tradeOffHtml(summary: ParetoSummary): string {
  const groups = summary.groups.filter((g) => g.points.length >= 2)
  if (groups.length === 0) return '<p class="empty">No bench ran two or more settings with both J/token and latency measured.</p>'
  return groups.map((g) => {
    const figures = (['p50', 'p99'] as const).map((q) => tradeOffFigure(g, q)).join('')
    const best = g.best_under_slo
    const bestText = best
      ? `Lowest J/token meeting the SLO: <strong>${escapeHtml(settingLabel({ ...best, sweep_point: g.points.find((p) => p.task_hash === best.task_hash && p.run === best.run)?.sweep_point ?? {} }, false))}</strong>, ${escapeHtml(valueLabel(best.energy_per_token_j))} J/token`
      : `No setting meets the SLO: ${escapeHtml(g.best_reason)}`
    const rows = g.points.map((p) => `<tr${best && p.task_hash === best.task_hash && p.run === best.run ? ' class="best-under-slo"' : ''}><td>${escapeHtml(settingLabel(p, false))}</td><td class="num">${escapeHtml(valueLabel(p.energy_per_token_j))}</td><td class="num">${escapeHtml(valueLabel(p.latency_p50_ms))}</td><td class="num">${escapeHtml(valueLabel(p.latency_p99_ms))}</td><td>${p.on_frontier_p50 ? 'yes' : ''}</td><td>${p.on_frontier_p99 ? 'yes' : ''}</td><td>${p.meets_slo === null ? '—' : p.meets_slo ? 'meets' : 'misses'}</td></tr>`)
    const lat = g.latency.toUpperCase()
    const table = `<table class="trade-off" data-bench="${escapeHtml(g.bench)}"><thead><tr><th>setting</th><th>J/token</th><th>${lat} p50 (ms)</th><th>${lat} p99 (ms)</th><th>p50 frontier</th><th>p99 frontier</th><th>SLO</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    return `<section class="trade-off" data-bench="${escapeHtml(g.bench)}"><h3>${escapeHtml(g.bench)}</h3><p class="best">${bestText}</p><div class="charts">${figures}</div>${table}</section>`
  }).join('')
}

function tradeOffFigure(g: ParetoSummary['groups'][number], q: 'p50' | 'p99'): string {
  const lat = (p: ParetoSummary['groups'][number]['points'][number]) => (q === 'p50' ? p.latency_p50_ms : p.latency_p99_ms)
  const onFront = (p: ParetoSummary['groups'][number]['points'][number]) => (q === 'p50' ? p.on_frontier_p50 : p.on_frontier_p99)
  const { unit, factor } = energyUnit(g.points.map((p) => p.energy_per_token_j))
  const xAxis = niceAxis(g.points.map(lat), { pad: 0.06 })
  const yAxis = niceAxis(g.points.map((p) => p.energy_per_token_j * factor), { pad: 0.06 })
  const s = frameScales(FRAME, xAxis, yAxis)
  const title = `Energy per token against ${g.latency.toUpperCase()} ${q}`
  const body: string[] = [frameSvg(FRAME, xAxis, yAxis, `${g.latency.toUpperCase()} ${q} (ms), lower is better`, `${unit}/token, lower is better`)]
  const front = g.points.filter(onFront).sort((a, b) => lat(a) - lat(b))
  if (front.length > 1) body.push(`<polyline class="frontier-line series-0" points="${front.map((p) => `${coord(s.x(lat(p)))},${coord(s.y(p.energy_per_token_j * factor))}`).join(' ')}"/>`)
  const best = g.best_under_slo
  for (const p of g.points) {
    const isBest = best !== null && p.task_hash === best.task_hash && p.run === best.run
    const tip = `${settingLabel(p, false)}\n${valueLabel(lat(p))} ms, ${valueLabel(p.energy_per_token_j * factor)} ${unit}/token${onFront(p) ? '\non the frontier' : ''}${isBest ? '\nlowest J/token meeting the SLO' : ''}`
    const [cx, cy] = [coord(s.x(lat(p))), coord(s.y(p.energy_per_token_j * factor))]
    if (isBest) body.push(`<circle class="best-under-slo" cx="${cx}" cy="${cy}" r="9" fill="none" stroke="currentColor" stroke-width="2"/>`)
    body.push(`<circle class="point series-0${onFront(p) ? ' frontier' : ''}" cx="${cx}" cy="${cy}" r="${onFront(p) ? 5.5 : 4}" data-task-hash="${escapeHtml(p.task_hash)}" data-frontier="${onFront(p)}" data-best="${isBest}"><title>${escapeHtml(tip)}</title></circle>`)
  }
  const svg = `${svgOpen(FRAME, 'trade-off-chart', `${title}: ${g.points.length} settings, ${front.length} on the frontier`, `data-points="${g.points.length}" data-frontier-points="${front.length}"`)}${body.join('')}</svg>`
  return `<figure class="chart pareto"><figcaption>${escapeHtml(title)}</figcaption>${svg}</figure>`
}
