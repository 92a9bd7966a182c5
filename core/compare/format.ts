/**
 * A comparison for people: a table per experiment for the terminal, one table for a GitHub job summary,
 * and the lines of `::error` annotations. Numbers keep 4 significant digits: enough to see a 0.1%
 * change, short enough to scan. `--json` prints the Comparison object itself.
 */
import pc from 'picocolors'
type Colors = ReturnType<typeof pc.createColors>
import type { Comparison, MetricDelta, SideStats } from './compare.js'
import { describeLimit } from './thresholds.js'
import { maxOf } from '../stats/extent.js'
import { sanitiseLine } from '../text/sanitise-terminal.js'
import { paretoLines, paretoMarkdown } from '../results/pareto-text.js'

export interface Sources {
  baseline: string
  current: string
}

export function num(v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e6 || a < 1e-4) return v.toExponential(3).replace(/\.?0+e/, 'e')
  return String(Number(v.toPrecision(4)))
}

const signed = (v: number) => (v > 0 ? '+' : v < 0 ? '-' : '±') + num(Math.abs(v))

function stat(s: SideStats | null): string {
  if (!s) return 'n/a'
  return s.ci_lower !== null && s.ci_upper !== null ? `${num(s.value)} [${num(s.ci_lower)}, ${num(s.ci_upper)}]` : num(s.value)
}

function change(d: MetricDelta): string {
  if (d.delta === null) return 'n/a'
  return `${signed(d.delta)}${d.delta_pct === null ? '' : ` (${d.delta_pct > 0 ? '+' : ''}${d.delta_pct.toFixed(1)}%)`}`
}

/** better/worse, whether the CIs separate, and the threshold verdict */
function verdict(d: MetricDelta, c: Colors): string {
  const parts: string[] = []
  if (d.change === 'better') parts.push(c.green('better'))
  else if (d.change === 'worse') parts.push(d.regressed ? c.red('worse') : c.yellow('worse'))
  else if (d.change === 'same') parts.push('same')
  if (d.significant === true) parts.push('significant')
  else if (d.significant === false) parts.push(c.dim('within noise'))
  if (d.threshold) parts.push(d.regressed ? c.red(`REGRESSED (limit ${describeLimit(d.threshold)})`) : c.dim(`ok (limit ${describeLimit(d.threshold)})`))
  if (d.note) parts.push(d.note)
  return parts.join(', ')
}

function table(rows: string[][], indent: string): string[] {
  // padding counts visible characters: colour codes take no columns
  // eslint-disable-next-line no-control-regex
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length
  const widths = rows[0].map((_, i) => maxOf(rows.map((r) => visible(r[i] ?? ''))))
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - visible(c)))).join('  ').trimEnd())
}

/** `color` defaults to what picocolors decides (NO_COLOR, FORCE_COLOR, a terminal, CI), as the console reporter does */
export function formatText(cmp: Comparison, sources: Sources, color = pc.isColorSupported): string {
  const c = pc.createColors(color)
  const bold = c.bold
  const out: string[] = [`${bold('baseline')} ${sources.baseline}`, `${bold('current')}  ${sources.current}`]
  out.push(cmp.thresholds.length ? `thresholds: ${cmp.thresholds.map((t) => `${t.metric} ${describeLimit(t)}`).join(', ')}` : 'no --threshold: deltas only, nothing can regress (a failed experiment still fails the comparison)')
  for (const x of cmp.experiments) {
    const reps = x.baseline.repeats > 1 || x.current.repeats > 1 ? `, ${x.baseline.completed} vs ${x.current.completed} completed repeats` : ''
    // names and warnings come from results files, which need not be llem's own
    out.push('', `${bold(sanitiseLine(x.name))}  ${c.dim(`matched by ${x.matched_by}${x.matched_by === 'task_hash' ? ` ${x.current.task_hash.slice(0, 8)}` : ''}${reps}`)}`)
    for (const w of x.warnings) out.push(`  ${c.yellow('!')} ${sanitiseLine(w)}`)
    if (x.metrics.length) {
      const rows = [['metric', 'baseline', 'current', 'change', ''], ...x.metrics.map((d) => [`${d.metric} (${d.unit})`, stat(d.baseline), stat(d.current), change(d), verdict(d, c)])]
      out.push(...table(rows, '  '))
    }
  }
  if (cmp.only_in_baseline.length) out.push('', `only in the baseline (not compared): ${sanitiseLine(cmp.only_in_baseline.join('; '))}`)
  if (cmp.only_in_current.length) out.push('', `only in the current run (not compared): ${sanitiseLine(cmp.only_in_current.join('; '))}`)
  const tradeOff = cmp.pareto ? paretoLines(cmp.pareto, { runs: true, bold, clean: sanitiseLine }) : []
  if (tradeOff.length) out.push('', ...tradeOff.slice(0, -1))
  const by = (how: string) => cmp.experiments.filter((x) => x.matched_by === how).length
  const ways = [`${by('task_hash')} by task_hash`, ...(by('series') ? [`${by('series')} by series step`] : []), `${by('name')} by name`]
  out.push('', `${cmp.experiments.length} compared (${ways.join(', ')}), ${cmp.only_in_baseline.length} only in the baseline, ${cmp.only_in_current.length} only in the current run`)
  if (cmp.gate_failure) out.push(c.red(c.bold(cmp.gate_failure)))
  const verdictLine = cmp.regressions ? `${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'}` : 'no regressions'
  out.push(cmp.regressions || cmp.gate_failure ? c.red(c.bold(verdictLine)) : c.green(verdictLine))
  return out.join('\n') + '\n'
}

const plain = pc.createColors(false)
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function formatMarkdown(cmp: Comparison, sources: Sources): string {
  const out = [`### llem compare: ${cmp.regressions ? `❌ ${cmp.regressions} regression${cmp.regressions === 1 ? '' : 's'}` : cmp.gate_failure ? '❌ nothing compared' : '✅ no regressions'}`, '']
  if (cmp.gate_failure) out.push(cell(cmp.gate_failure), '')
  out.push(`Baseline \`${sources.baseline}\`, current \`${sources.current}\`. ${cmp.thresholds.length ? `Thresholds: ${cmp.thresholds.map((t) => `\`${t.metric}\` ${describeLimit(t)}`).join(', ')}.` : 'No thresholds.'}`, '')
  out.push('| experiment | metric | baseline | current | change | |', '|---|---|---:|---:|---:|---|')
  for (const x of cmp.experiments) {
    if (!x.metrics.length) out.push(`| ${cell(x.name)} | | | | | ${cell(x.warnings.join('; '))} |`)
    for (const d of x.metrics) out.push(`| ${cell(x.name)} | ${d.metric} | ${stat(d.baseline)} | ${stat(d.current)} | ${change(d)} | ${d.regressed ? '❌ ' : ''}${cell(verdict(d, plain))} |`)
  }
  for (const x of cmp.experiments.filter((e) => e.warnings.length && e.metrics.length)) out.push('', `- ${cell(x.name)}: ${x.warnings.join('; ')}`)
  if (cmp.only_in_baseline.length) out.push('', `Only in the baseline: ${cmp.only_in_baseline.map(cell).join('; ')}`)
  if (cmp.only_in_current.length) out.push('', `Only in the current run: ${cmp.only_in_current.map(cell).join('; ')}`)
  const tradeOff = cmp.pareto ? paretoMarkdown(cmp.pareto, { runs: true }) : ''
  if (tradeOff) out.push('', tradeOff.trimEnd())
  return out.join('\n') + '\n'
}
