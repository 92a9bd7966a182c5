/** The fidelity table as text: one line per row, and a summary (worst error per metric, coverage). */
import type { Row } from './checks.js'

const fmt = (x: number | null, unit: string) => {
  if (x === null) return '-'
  const digits = unit === 'J/tok' ? 5 : unit === 'tok' ? 0 : 2
  return x.toFixed(digits)
}

export function formatTable(rows: Row[]): string {
  const head = ['scenario', 'metric', 'unit', 'truth', 'llem', 'error', 'error %', '± stated (95%)', 'covered', 'tolerance', 'pass']
  const lines = rows.map((r) => [
    r.scenario, r.metric, r.unit, fmt(r.truth, r.unit), fmt(r.llem, r.unit), fmt(r.error, r.unit),
    r.relError === null ? '-' : `${(r.relError * 100).toFixed(3)}`, fmt(r.uncertainty, r.unit),
    r.covered === null ? '-' : r.covered ? 'yes' : 'no', fmt(r.tolerance, r.unit), r.pass ? 'ok' : 'FAIL',
  ])
  return markdown(head, lines)
}

/** worst |relative error| per metric (latencies: worst absolute error), and interval coverage */
export function formatSummary(rows: Row[]): string {
  const size = (r: Row) => Math.abs(r.unit === 'ms' ? (r.error ?? Infinity) : (r.relError ?? Infinity))
  const metric = (m: string) => m.replace(/ \(headline, .*\)$/, ' (headline)').replace(/^gpu \d+ /, 'gpu N ')
  const groups = new Map<string, Row[]>()
  for (const r of rows) groups.set(metric(r.metric), [...(groups.get(metric(r.metric)) ?? []), r])
  const lines = [...groups].map(([m, rs]) => {
    const worst = rs.reduce((w, r) => (size(r) > size(w) ? r : w))
    const stated = rs.filter((r) => r.covered !== null)
    const covered = stated.filter((r) => r.covered).length
    const err = (w: Row | null) => (w === null ? '-' : w.unit === 'ms' ? `${fmt(w.error, 'ms')} ms` : w.relError === null ? '-' : `${(w.relError * 100).toFixed(3)} %`)
    const long = rs.filter((r) => r.tenUpdates)
    return [m, String(rs.length), err(worst), worst.scenario, err(long.length ? long.reduce((w, r) => (size(r) > size(w) ? r : w)) : null), stated.length ? `${covered}/${stated.length}` : '-', `${rs.filter((r) => r.pass).length}/${rs.length}`]
  })
  const energy = rows.filter((r) => r.covered !== null && r.unit !== 'ms')
  const covered = energy.filter((r) => r.covered).length
  const coverage = energy.length ? `\n\nEnergy figures with a stated 95% uncertainty: ${covered} of ${energy.length} covered the truth (${((100 * covered) / energy.length).toFixed(1)}%).` : ''
  return markdown(['metric', 'rows', 'worst error', 'in scenario', 'worst, windows of 10+ counter updates', 'covered by ±', 'within tolerance'], lines) + coverage
}

function markdown(head: string[], lines: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|')
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.map(esc).join(' | ')} |`)].join('\n')
}
