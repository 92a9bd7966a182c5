/**
 * The sweep view (pareto.ts) as text for the console and `llem compare`, and as markdown for
 * `llem compare --markdown`: one table per bench with two settings or more, frontier members marked,
 * and the setting with the lowest J/token that meets the SLO named under it.
 */
import { energyUnitFor, formatSig, joulesIn, type EnergyUnit } from './figures.js'
import { maxOf } from '../stats/extent.js'
import type { ParetoGroup, ParetoPoint, ParetoSummary } from './pareto.js'

const LABEL = { ttft: 'TTFT', tpot: 'TPOT', itl: 'ITL', e2e: 'E2E' } as const

/** a point by what varies: its sweep values, else its experiment name; with its run when runs are mixed */
export function settingLabel(p: Pick<ParetoPoint, 'name' | 'sweep_point' | 'run'>, runs: boolean): string {
  const sweep = Object.entries(p.sweep_point).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')
  return `${runs ? `${p.run}: ` : ''}${sweep || p.name}`
}

function sloText(g: ParetoGroup): string {
  if (!g.slo) return 'no SLO set'
  const t = [g.slo.ttftMs !== null ? `TTFT <= ${g.slo.ttftMs} ms` : '', g.slo.tpotMs !== null ? `TPOT <= ${g.slo.tpotMs} ms` : '', g.slo.e2eMs !== null ? `E2E <= ${g.slo.e2eMs} ms` : ''].filter(Boolean)
  return `${t.join(', ')} for ${formatSig(g.slo.attainment * 100)}% of requests`
}

function rows(g: ParetoGroup, unit: EnergyUnit, runs: boolean): string[][] {
  return g.points.map((p) => [
    `${p.on_frontier_p50 ? '*' : ' '}${p.on_frontier_p99 ? '+' : ' '}`,
    settingLabel(p, runs),
    joulesIn(unit, p.energy_per_token_j),
    formatSig(p.latency_p50_ms),
    formatSig(p.latency_p99_ms),
    p.meets_slo === null ? '—' : `${formatSig((p.slo_attainment ?? 0) * 100)}% ${p.meets_slo ? 'meets' : 'misses'}`,
  ])
}

function bestLine(g: ParetoGroup, unit: EnergyUnit, runs: boolean): string {
  const b = g.best_under_slo
  if (!b) return `Best under the SLO: none (${g.best_reason})`
  return `Best under the SLO (${sloText(g)}): ${settingLabel({ ...b, sweep_point: g.points.find((p) => p.task_hash === b.task_hash && p.run === b.run)?.sweep_point ?? {} }, runs)}, ${joulesIn(unit, b.energy_per_token_j)} ${unit.name}/token, ${LABEL[g.latency]} p50 ${formatSig(b.latency_p50_ms)} ms, p99 ${formatSig(b.latency_p99_ms)} ms`
}

const shown = (s: ParetoSummary) => s.groups.filter((g) => g.points.length >= 2)

/** plain text, one block per bench; [] when no bench has two settings to trade off */
export function paretoLines(s: ParetoSummary, opts: { runs?: boolean; bold?: (t: string) => string; clean?: (t: string) => string } = {}): string[] {
  const runs = opts.runs ?? false
  // bench names and sweep values are the user's text: a terminal gets them cleaned first
  const clean = opts.clean ?? ((t: string) => t)
  const bold = (t: string) => (opts.bold ?? ((x: string) => x))(clean(t))
  const out: string[] = []
  for (const g of shown(s)) {
    const unit = energyUnitFor(g.points.map((p) => p.energy_per_token_j))
    const header = ['', 'setting', `${unit.name}/token`, `${LABEL[g.latency]} p50 (ms)`, `${LABEL[g.latency]} p99 (ms)`, 'SLO']
    const body = rows(g, unit, runs)
    const widths = header.map((h, i) => Math.max(h.length, maxOf(body.map((r) => r[i].length))))
    const line = (cells: string[]) => cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()
    out.push(bold(`Time-energy trade-off: ${g.bench} (J/token against ${LABEL[g.latency]} latency; * on the p50 frontier, + on the p99 frontier)`), ...[line(header), ...body.map(line), bestLine(g, unit, runs)].map(clean))
    for (const x of g.excluded) out.push(clean(`  left out: ${x.name} (${x.reason})`))
    out.push('')
  }
  return out
}

export function paretoMarkdown(s: ParetoSummary, opts: { runs?: boolean } = {}): string {
  const runs = opts.runs ?? false
  const out: string[] = []
  for (const g of shown(s)) {
    const unit = energyUnitFor(g.points.map((p) => p.energy_per_token_j))
    out.push(`### Time-energy trade-off: ${g.bench}`, '', `J/token against ${LABEL[g.latency]} latency; frontier: not beaten on both J/token and that latency by another setting.`, '')
    out.push(`| setting | ${unit.name}/token | ${LABEL[g.latency]} p50 (ms) | ${LABEL[g.latency]} p99 (ms) | p50 frontier | p99 frontier | SLO |`, '|---|---:|---:|---:|:-:|:-:|---|')
    for (const [p, r] of g.points.map((p, i) => [p, rows(g, unit, runs)[i]] as const))
      out.push(`| ${r[1].replace(/\|/g, '\\|')} | ${r[2]} | ${r[3]} | ${r[4]} | ${p.on_frontier_p50 ? 'yes' : ''} | ${p.on_frontier_p99 ? 'yes' : ''} | ${r[5]} |`)
    out.push('', `**${bestLine(g, unit, runs)}**`, '')
  }
  return out.join('\n')
}
