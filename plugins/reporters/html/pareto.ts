/**
 * Pareto frontiers across sweep points: which settings give the least energy per token for a given
 * latency (or throughput), and which are beaten on both counts by another setting. Points are grouped
 * by bench, because a frontier across different workloads would compare unlike things; each bench
 * gets its own colour and its own frontier.
 */
import type { AggregatedResult } from '../../../core/results/schema.js'
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
  const max = Math.max(0, ...values.map(Math.abs))
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
