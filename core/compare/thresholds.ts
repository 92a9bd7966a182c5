/**
 * `--threshold energy_per_token_j=5%,ttft_ms_p50=10%,itl_ms_p50=0.5`: how much worse a metric may get
 * before the comparison fails. `5%` is relative to the baseline; a bare number is absolute, in the
 * metric's own unit (J/token, ms, tok/s...). The flag may be repeated; a later entry for the same metric wins.
 */
import { closest } from '../config/suggest.js'
import { InputError } from '../errors.js'
import { isMetricName, METRIC_NAMES, METRICS, type MetricName } from './metrics.js'

export interface Threshold {
  metric: MetricName
  kind: 'relative' | 'absolute'
  /** percent for relative, the metric's unit for absolute; never negative */
  value: number
  /** as the user wrote it, for messages */
  text: string
}

const NUMBER = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i

export function parseThresholds(specs: string | string[] | undefined, where = '--threshold'): Threshold[] {
  const byMetric = new Map<MetricName, Threshold>()
  const list = specs === undefined ? [] : Array.isArray(specs) ? specs : [specs]
  const example = 'e.g. energy_per_token_j=5% or ttft_ms_p50=20'
  // the CLI's parser hands an empty value (`--threshold "$UNSET"`) over as the number 0
  if (list.some((s) => s === '' || (s as unknown) === 0))
    throw new InputError('CONFIG_INVALID', `${where} is empty (or 0): give metric=limit, ${example}; without --threshold nothing is gated`, { where })
  const entries = list.flatMap((s) => String(s).split(',')).map((e) => e.trim())
  // a gate switched off by a stray comma must not pass silently
  if (list.length > 0 && entries.every((e) => e === ''))
    throw new InputError('CONFIG_INVALID', `${where} "${list.join(' ')}" names no metric: give metric=limit, ${example}`, { where })
  for (const entry of entries) {
    if (entry === '') continue
    const eq = entry.indexOf('=')
    if (eq <= 0) throw new InputError('CONFIG_INVALID', `${where}: "${entry}" is not metric=limit (${example})`, { where })
    const metric = entry.slice(0, eq).trim()
    const limit = entry.slice(eq + 1).trim()
    if (!isMetricName(metric)) {
      const guess = closest(metric, METRIC_NAMES)
      throw new InputError('CONFIG_INVALID', `${where}: unknown metric "${metric}"${guess ? ` (did you mean "${guess}"?)` : ''}; metrics: ${METRIC_NAMES.join(', ')}`, { where })
    }
    const relative = limit.endsWith('%')
    const number = relative ? limit.slice(0, -1).trim() : limit
    if (!NUMBER.test(number) || !Number.isFinite(Number(number.replace(/^\+/, ''))))
      throw new InputError('CONFIG_INVALID', `${where}: ${metric}: "${limit}" is not a limit: a finite, non-negative percentage (5%) or an absolute amount in ${METRICS[metric].unit} (0.01)`, { where })
    byMetric.set(metric, { metric, kind: relative ? 'relative' : 'absolute', value: Number(number.replace(/^\+/, '')), text: `${metric}=${limit}` })
  }
  return [...byMetric.values()]
}

/** "5%" or "0.01 J/token": the limit as a person reads it. */
export function describeLimit(t: Threshold): string {
  return t.kind === 'relative' ? `${t.value}%` : `${t.value} ${METRICS[t.metric].unit}`
}
