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
  const metric = (m: string) => m.replace(/ \(headline, .*\)$/, ' (headline)').replace(/^gpu \d+ /, 'gpu N ')
  const groups = new Map<string, Row[]>()
  for (const r of rows) groups.set(metric(r.metric), [...(groups.get(metric(r.metric)) ?? []), r])
  const lines = [...groups].map(([m, rs]) => {
    const worst = rs.reduce((w, r) => (Math.abs(r.unit === 'ms' ? (r.error ?? Infinity) : (r.relError ?? Infinity)) > Math.abs(w.unit === 'ms' ? (w.error ?? Infinity) : (w.relError ?? Infinity)) ? r : w))
    const stated = rs.filter((r) => r.covered !== null)
    const covered = stated.filter((r) => r.covered).length
    const err = worst.unit === 'ms' ? `${fmt(worst.error, 'ms')} ms` : worst.relError === null ? '-' : `${(worst.relError * 100).toFixed(3)} %`
    return [m, String(rs.length), err, worst.scenario, stated.length ? `${covered}/${stated.length}` : '-', `${rs.filter((r) => r.pass).length}/${rs.length}`]
  })
  return markdown(['metric', 'rows', 'worst error', 'in scenario', 'covered by ±', 'within tolerance'], lines)
}

function markdown(head: string[], lines: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|')
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.map(esc).join(' | ')} |`)].join('\n')
}
