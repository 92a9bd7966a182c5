/**
 * The few chart primitives both kinds of chart share: an axis with round tick values, a linear scale,
 * and the frame (grid, ticks, axis titles) drawn as inline SVG. Hand-written because a charting
 * library would have to be inlined into every report, and these charts need a few hundred bytes.
 * Colours come from CSS classes (`series-0`...), so the stylesheet alone decides the theme.
 */
import { maxOf, minOf } from 'llem/plugin'
import { formatSig } from '../console.js'
import { coord, escapeHtml } from './escape.js'

export interface Axis {
  lo: number
  hi: number
  ticks: number[]
  /** decimals that tell the ticks apart: 0 for a step of 2, 3 for a step of 0.005 */
  digits: number
}

export interface Frame {
  width: number
  height: number
  left: number
  right: number
  top: number
  bottom: number
}

export const FRAME: Frame = { width: 560, height: 320, left: 64, right: 16, top: 14, bottom: 46 }
/** series colours available in the stylesheet; more series than this reuse them */
export const SERIES_COLOURS = 7

export interface AxisOptions {
  /** about this many ticks */
  count?: number
  /** widen the range by this fraction of it first, so that no point sits on the frame's edge */
  pad?: number
  /** the range is the data's own (a time axis), not widened to whole steps; ticks fall inside it */
  tight?: boolean
}

/** Ticks a step of 1, 2 or 5 times a power of ten apart, about `count` of them over the values. */
export function niceAxis(values: number[], options: AxisOptions = {}): Axis {
  const { count = 5, pad = 0, tight = false } = options
  const finite = values.filter(Number.isFinite)
  // a loop, not Math.min(...): a long timeline has more values than a call can take as arguments
  let min = finite.length ? minOf(finite) : 0
  let max = finite.length ? maxOf(finite) : 1
  if (pad > 0 && max > min) {
    const extra = (max - min) * pad
    // never pad across zero: an axis of non-negative values must not start below it
    min = min >= 0 ? Math.max(0, min - extra) : min - extra
    max += extra
  }
  if (min === max) {
    // one value (or all equal): give it room so it sits inside the frame, not on its edge
    const room = min === 0 ? 1 : Math.abs(min) * 0.1
    min -= room
    max += room
  }
  const raw = (max - min) / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude
  const lo = tight ? min : Math.floor(min / step) * step
  const hi = tight ? max : Math.ceil(max / step) * step
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9))
  const ticks: number[] = []
  // rounding to the step's precision keeps 0.30000000000000004 out of the labels
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toFixed(digits + 1)))
  return { lo, hi, ticks, digits }
}

/** Maps a value on `axis` to a pixel between `from` and `to` (to < from for a y axis). */
export function scale(axis: Axis, from: number, to: number): (v: number) => number {
  const span = axis.hi - axis.lo || 1
  return (v) => from + ((v - axis.lo) / span) * (to - from)
}

export interface Scales {
  x: (v: number) => number
  y: (v: number) => number
}

export function frameScales(frame: Frame, xAxis: Axis, yAxis: Axis): Scales {
  return { x: scale(xAxis, frame.left, frame.width - frame.right), y: scale(yAxis, frame.height - frame.bottom, frame.top) }
}

/** A value for a tooltip: three significant digits. */
export function valueLabel(v: number): string {
  return formatSig(v)
}

function axisLabel(axis: Axis, v: number): string {
  return v.toFixed(axis.digits)
}

/** Grid lines, tick labels and axis titles. */
export function frameSvg(frame: Frame, xAxis: Axis, yAxis: Axis, xTitle: string, yTitle: string): string {
  const { x, y } = frameScales(frame, xAxis, yAxis)
  const x0 = frame.left
  const x1 = frame.width - frame.right
  const y0 = frame.height - frame.bottom
  const y1 = frame.top
  const parts: string[] = []
  for (const t of yAxis.ticks) {
    const py = coord(y(t))
    parts.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${py}" y2="${py}"/>`)
    parts.push(`<text class="tick" x="${x0 - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeHtml(axisLabel(yAxis, t))}</text>`)
  }
  for (const t of xAxis.ticks) {
    const px = coord(x(t))
    parts.push(`<line class="grid" x1="${px}" x2="${px}" y1="${y0}" y2="${y1}"/>`)
    parts.push(`<text class="tick" x="${px}" y="${y0 + 16}" text-anchor="middle">${escapeHtml(axisLabel(xAxis, t))}</text>`)
  }
  parts.push(`<rect class="plot-border" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`)
  parts.push(`<text class="axis-title" x="${(x0 + x1) / 2}" y="${frame.height - 6}" text-anchor="middle">${escapeHtml(xTitle)}</text>`)
  parts.push(`<text class="axis-title" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yTitle)}</text>`)
  return parts.join('')
}

/** The opening tag: scales with the page through its viewBox; role and label for screen readers. */
export function svgOpen(frame: Frame, className: string, label: string, attrs = ''): string {
  return `<svg class="${className}" viewBox="0 0 ${frame.width} ${frame.height}" role="img" aria-label="${escapeHtml(label)}"${attrs ? ` ${attrs}` : ''}>`
}

/** A legend as HTML under the chart: it wraps, and long names stay readable. */
export function legendHtml(names: string[], minItems = 2): string {
  if (names.length < minItems) return ''
  const items = names.map((n, i) => `<li><span class="swatch series-${i % SERIES_COLOURS}"></span>${escapeHtml(n)}</li>`)
  return `<ul class="legend">${items.join('')}</ul>`
}
