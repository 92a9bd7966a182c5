/**
 * The default reporter: live progress while experiments run, one line per finished experiment, and
 * a results table with a summary at the end. Colours come from picocolors, which already honours
 * NO_COLOR, FORCE_COLOR and non-TTY output. Live redraws only happen on an interactive terminal:
 * in CI logs and pipes every `\r` redraw would become a line of noise, so there we print plain lines.
 */
import pc from 'picocolors'
import type { ExperimentInfo, ExperimentProgress, Reporter, ReporterContext, RunSummary, AggregatedResult } from 'llem/plugin'
import { maxOf, paretoLines, sanitiseLine, energyUnitFor, formatSig, joulesIn, NONE, type EnergyUnit } from 'llem/plugin'
import { requestCounts, servingSummary } from './lib/serving-summary.js'

export { formatSig }

/** at most ~10 redraws a second: progress events can come once per token */
const REDRAW_MS = 100
/** redraw at least this often so the elapsed time moves during long phases with no events (model load) */
const TICK_MS = 1000
const CLEAR_LINE = '\r\x1b[K'
const CURSOR_UP = '\x1b[1A'

interface Running {
  info: ExperimentInfo
  startedAt: number
  /** 'starting' until the worker reports its first phase */
  phase: ExperimentProgress['phase'] | 'starting'
  done: number
  total: number | null
  /** when the current phase began (the idle baseline counts down from it) */
  phaseStartedAt?: number
}

/** the idle baseline's configured length and cache time, from the experiment's effective config */
function baselineOf(info: ExperimentInfo): { seconds: number; ttlSeconds: number } | null {
  const b = (info.effective_config.measurement as { baseline?: { enabled?: boolean; seconds?: unknown; ttlSeconds?: unknown } } | undefined)?.baseline
  return b && b.enabled !== false && typeof b.seconds === 'number' && typeof b.ttlSeconds === 'number' ? { seconds: b.seconds, ttlSeconds: b.ttlSeconds } : null
}

/**
 * What a phase is, said where a first-time user would otherwise wait in silence: the idle baseline
 * reads the machine doing nothing for up to its configured seconds (skipped when a cached one is
 * younger than its TTL), and a countdown shows how long is left.
 */
function phaseLabel(info: ExperimentInfo, phase: Running['phase'], sincePhaseMs: number | null): string {
  const b = phase === 'baseline' ? baselineOf(info) : null
  if (!b) return phase.replace('_', ' ')
  if (sincePhaseMs === null) return `idle baseline: measuring the machine at rest for up to ${b.seconds} s (once; reused for ${ttlText(b.ttlSeconds)})`
  return `idle baseline ${Math.max(0, Math.ceil(b.seconds - sincePhaseMs / 1000))} s left`
}

const ttlText = (s: number) => (s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`)

export function createConsoleReporter(ctx: ReporterContext): Reporter {
  const out = ctx.stdout
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0'
  const live = ctx.isTTY && !ci
  const running = new Map<string, Running>()
  const startedAt = new Map<string, number>()
  // live block state: how many lines are on screen below the permanent output, cursor at the end of the last
  let drawn = 0
  let lastDraw = 0
  let pending: NodeJS.Timeout | undefined
  let ticker: NodeJS.Timeout | undefined
  // the unit of J/token on the end lines: set by the first experiment that has one and kept for the
  // run, so consecutive lines never say J in one and mJ in the next
  let lineUnit: EnergyUnit | undefined

  function clearLive(): string {
    if (drawn === 0) return ''
    let s = CLEAR_LINE
    for (let i = 1; i < drawn; i++) s += CURSOR_UP + CLEAR_LINE
    drawn = 0
    return s
  }

  function liveBlock(): string {
    const now = Date.now()
    // one char short of the width: a line that wraps would break the cursor-up arithmetic
    // a terminal that reports 0 columns (some CI shells, a pty with no size) gets 80, not 30
    const cols = (out as { columns?: number }).columns
    const width = Math.max(30, (cols !== undefined && cols > 0 ? cols : 80) - 1)
    const lines = [...running.values()].map((r) => progressLine(r, now, width))
    drawn = lines.length
    return lines.join('\n')
  }

  function redraw(): void {
    if (pending) clearTimeout(pending)
    pending = undefined
    lastDraw = Date.now()
    out.write(clearLive() + liveBlock())
  }

  function scheduleRedraw(): void {
    if (pending) return
    const wait = REDRAW_MS - (Date.now() - lastDraw)
    if (wait <= 0) return redraw()
    pending = setTimeout(redraw, wait)
    pending.unref?.()
  }

  function syncTicker(): void {
    if (live && running.size > 0 && !ticker) {
      ticker = setInterval(redraw, TICK_MS)
      ticker.unref?.()
    } else if (running.size === 0 && ticker) {
      clearInterval(ticker)
      ticker = undefined
    }
  }

  /** a permanent line; on a TTY it goes above the live block, which is redrawn under it */
  function print(text: string): void {
    if (!live) return void out.write(text + '\n')
    out.write(clearLive() + text + '\n' + liveBlock())
    lastDraw = Date.now()
  }

  function stopLive(): void {
    if (pending) clearTimeout(pending)
    if (ticker) clearInterval(ticker)
    pending = ticker = undefined
    if (live) out.write(clearLive())
  }

  return {
    name: 'console',
    onExperimentStart(info) {
      const now = Date.now()
      startedAt.set(info.id, now)
      if (!live) return print(`${pc.cyan('→')} ${sanitiseLine(info.name)}`)
      running.set(info.id, { info, startedAt: now, phase: 'starting', done: 0, total: null })
      syncTicker()
      redraw()
    },
    onExperimentProgress(info, progress) {
      if (!live) {
        // one line per phase change, nothing per request
        const prev = running.get(info.id)
        running.set(info.id, { info, startedAt: startedAt.get(info.id) ?? Date.now(), ...progress })
        if (prev?.phase !== progress.phase) print(pc.dim(`  ${sanitiseLine(info.name)}: ${phaseLabel(info, progress.phase, null)}`))
        return
      }
      const r = running.get(info.id)
      if (!r) return
      if (r.phase !== progress.phase) r.phaseStartedAt = Date.now()
      Object.assign(r, { phase: progress.phase, done: progress.done, total: progress.total })
      scheduleRedraw()
    },
    onExperimentEnd(info, result) {
      running.delete(info.id)
      syncTicker()
      const began = startedAt.get(info.id)
      startedAt.delete(info.id)
      const perToken = result.avg_energy_per_token_j ?? result.embedding_metrics?.energy_per_input_token_j ?? null
      if (!lineUnit && result.status === 'completed' && perToken !== null) lineUnit = energyUnitFor([perToken])
      // the experiment's own recorded span: the same live and when `llem report` replays the run (whose
      // events come milliseconds apart); the time between the two events where it has none
      const recorded = Date.parse(result.end_time) - Date.parse(result.start_time)
      print(endLine(info.name, result, Number.isFinite(recorded) && recorded >= 0 ? recorded : began === undefined ? null : Date.now() - began, lineUnit))
    },
    onRunEnd(summary) {
      stopLive()
      running.clear()
      out.write(runEndText(summary, ctx.verbose))
    },
  }
}

export default (ctx: ReporterContext): Reporter => createConsoleReporter(ctx)

function progressLine(r: Running, now: number, width: number): string {
  const counts = r.total !== null ? ` ${r.done}/${r.total}` : r.done > 0 ? ` ${r.done}` : ''
  const tail = `  ${phaseLabel(r.info, r.phase, r.phaseStartedAt === undefined ? 0 : now - r.phaseStartedAt)}${counts}  ${formatDuration(now - r.startedAt)}`
  const room = width - 2 - tail.length
  const full = sanitiseLine(r.info.name)
  const name = full.length > room ? full.slice(0, Math.max(1, room - 1)) + '…' : full
  return `${pc.yellow('›')} ${name}${pc.dim(tail)}`
}

function endLine(rawName: string, r: AggregatedResult, elapsedMs: number | null, unit: EnergyUnit | undefined): string {
  // names and errors may carry a server's text or a crafted file's: never raw to the terminal
  const name = sanitiseLine(rawName)
  const took = elapsedMs === null ? '' : pc.dim(`  ${formatDuration(elapsedMs)}`)
  if (r.status !== 'completed') {
    const why = sanitiseLine(r.error ? `${r.error.code}: ${r.error.message}` : r.status)
    return `${pc.red('✗')} ${name}  ${pc.red(r.status === 'interrupted' ? `interrupted (${why})` : why)}${took}`
  }
  const how = methodLabel(r)
  // the method beside the figure, not in parentheses around a label that has its own
  // an embeddings experiment generates no token: its figure is J per embedded (input) token
  const em = r.embedding_metrics
  const energy =
    !unit ? `energy: ${how}`
    : r.avg_energy_per_token_j !== null ? `${joulesIn(unit, r.avg_energy_per_token_j, r.avg_energy_per_token_uncertainty_j)} ${unit.name}/token  ${how}`
    : em && em.energy_per_input_token_j !== null ? `${joulesIn(unit, em.energy_per_input_token_j, em.energy_per_input_token_uncertainty_j)} ${unit.name}/embedded token  ${how}`
    : `energy: ${how}`
  // a client that could not keep up stamped its tokens late: said on the line itself, not only with --verbose
  const loopP99 = r.latency_stats?.client_loop_delay_p99_ms
  const saturated = r.measurement_warnings.some((w) => w.startsWith('client saturated')) && typeof loopP99 === 'number'
  const late = saturated ? `  ${pc.yellow(`! client saturated: loop p99 ${formatSig(loopP99)} ms late`)}` : ''
  return `${pc.green('✓')} ${name}  ${formatSig(r.output_tokens_per_second)} tok/s  ${energy}${late}${took}`
}

function runEndText(summary: RunSummary, verbose: boolean): string {
  const results = summary.results
  const lines: string[] = ['']
  // one energy unit for the table and every serving summary under it
  // (an embeddings experiment's J per embedded token counts for the unit: its serving summary shows it)
  const unit = energyUnitFor(results.map((r) => r.avg_energy_per_token_j ?? r.embedding_metrics?.energy_per_input_token_j ?? null))
  if (results.length > 0) lines.push(...resultsTable(results, unit), '')
  // the serving summary: of the one experiment, or of each with --verbose
  if (results.length === 1 || verbose) for (const r of results) {
    const block = servingSummary(r, unit)
    if (block) lines.push(pc.bold(block[0]), ...block.slice(1), '')
  }
  if (summary.repeats?.length) lines.push(...repeatsTable(summary.repeats), '')
  if (summary.pareto) lines.push(...paretoLines(summary.pareto, { bold: pc.bold, clean: sanitiseLine }))
  const passed = results.filter((r) => r.status === 'completed').length
  // an experiment stopped by Ctrl-C did not fail: counted apart, so the summary says what happened
  const interrupted = results.filter((r) => r.status === 'interrupted').length
  const failed = results.length - passed - interrupted
  // parsed by CI tooling: keep it exactly "N passed, N failed[, N interrupted][, N skipped]", uncoloured, alone on its line
  lines.push(`${passed} passed, ${failed} failed${interrupted ? `, ${interrupted} interrupted` : ''}${summary.skipped.length ? `, ${summary.skipped.length} skipped` : ''}`)
  if (summary.status === 'interrupted') lines.push(pc.yellow('Run interrupted: remaining experiments were not run'))
  lines.push(`${pc.dim('Run dir ')}  ${summary.runDir}`, `${pc.dim('Duration')}  ${formatDuration(summary.durationMs)}`)

  const warnings = results.flatMap((r) => r.measurement_warnings.map((w) => ({ name: r.experiment_name, w })))
  if (warnings.length > 0) {
    const groups = groupWarnings(warnings)
    if (verbose) lines.push('', pc.yellow('Measurement warnings:'), ...groups.map((g) => `  ${pc.yellow('!')} ${sanitiseLine(`${whoHad(g.names, results.length)}: ${g.w}`)}`))
    else {
      lines.push(pc.yellow(`${warnings.length} measurement warning${warnings.length === 1 ? '' : 's'} (see results or --verbose)`))
      // the same text on every experiment is boilerplate; the ones only some experiments have are
      // where to look first: up to three of those, rarest first
      const rare = groups.filter((g) => g.names.length < results.length).slice(0, 3)
      for (const g of rare) lines.push(`  ${pc.yellow('!')} ${sanitiseLine(`${whoHad(g.names, results.length)}: ${short(g.w, 160)}`)}`)
    }
  }
  if (results.some((r) => r.energy_method === 'estimate'))
    lines.push(pc.dim('Note: "estimate" energy is computed from a model of the hardware, not measured; compare it only with other estimates.'))
  return lines.join('\n') + '\n'
}

/** Repeats of one configuration: mean and Student t 95% CI of each headline number. */
function repeatsTable(repeats: RunSummary['repeats']): string[] {
  // one unit for the column, from every figure in it (the interval ends included)
  const unit = energyUnitFor(repeats.flatMap((r) => { const m = r.metrics.energy_per_token_j; return m ? [m.mean, m.ci_lower, m.ci_upper] : [] }))
  const ci = (m: RunSummary['repeats'][number]['metrics'][string & keyof RunSummary['repeats'][number]['metrics']], f: (n: number) => string) =>
    m ? `${f(m.mean)} [${f(m.ci_lower)}, ${f(m.ci_upper)}]` : '—'
  const rows = repeats.map((r) => [
    r.name,
    `${r.completed}/${r.repeats}`,
    ci(r.metrics.output_tokens_per_second, formatSig),
    ci(r.metrics.ttft_median_ms, formatSig),
    ci(r.metrics.itl_median_ms, formatSig),
    ci(r.metrics.energy_per_token_j, (n) => joulesIn(unit, n)),
  ])
  const header = ['repeats of', 'n', 'output tok/s', 'TTFT p50 (ms)', 'ITL p50 (ms)', `${unit.name}/token`]
  const widths = header.map((h, i) => Math.max(h.length, maxOf(rows.map((r) => r[i].length))))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  return [pc.bold('Repeats: mean [95% CI, Student t]'), line(header), ...rows.map(line)]
}

interface Column {
  header: string
  right: boolean
  cell: (r: AggregatedResult) => string
  color?: (text: string, r: AggregatedResult) => string
}

function resultsTable(results: AggregatedResult[], unit: EnergyUnit): string[] {
  const columns: Column[] = [
    { header: 'bench', right: false, cell: (r) => r.bench.full_name },
    { header: 'experiment', right: false, cell: experimentPart },
    // a failed or interrupted experiment has no throughput: a data-parallel one's survivors are not the experiment
    { header: 'output tok/s', right: true, cell: (r) => (r.status === 'completed' && r.output_tokens_per_second !== null ? formatSig(r.output_tokens_per_second) : NONE) },
    { header: 'TTFT p50 (ms)', right: true, cell: (r) => formatSig(r.latency_stats?.ttft_median_ms ?? null) },
    { header: 'ITL p50 (ms)', right: true, cell: (r) => formatSig(r.latency_stats?.itl_median_ms ?? null) },
    // ± the 95% uncertainty where the error model gave one
    // one unit for the whole column, stated in the header (energyUnitFor)
    { header: `${unit.name}/token`, right: true, cell: (r) => joulesIn(unit, r.avg_energy_per_token_j, r.avg_energy_per_token_uncertainty_j) },
    { header: 'energy method', right: false, cell: methodLabel, color: (t, r) => (r.energy_method === 'estimate' || r.energy_method === 'none' ? pc.dim(t) : t) },
    { header: 'failed', right: true, cell: failedCell, color: (t, r) => ((requestCounts(r)?.failed ?? 0) > 0 ? pc.red(t) : t) },
    { header: 'status', right: false, cell: (r) => r.status, color: (t, r) => (r.status === 'completed' ? pc.green(t) : pc.red(t)) },
  ]
  const rows = results.map((r) => columns.map((c) => sanitiseLine(c.cell(r))))
  // widths from the plain text; colour is applied after padding so escape codes don't skew alignment
  const widths = columns.map((c, i) => Math.max(c.header.length, maxOf(rows.map((row) => row[i].length))))
  // the last column is not padded on the right: no trailing spaces (which would hide inside colour codes)
  const last = columns.length - 1
  const pad = (text: string, i: number) => (columns[i].right ? text.padStart(widths[i]) : i === last ? text : text.padEnd(widths[i]))
  const header = columns.map((c, i) => pc.bold(pad(c.header, i))).join('  ')
  const rule = pc.dim(widths.map((w) => '─'.repeat(w)).join('  '))
  const body = rows.map((row, ri) => row.map((text, i) => (columns[i].color ?? ((t) => t))(pad(text, i), results[ri])).join('  '))
  return [header, rule, ...body]
}

/** "8/10": failed of the measured requests; a dash when none were measured */
function failedCell(r: AggregatedResult): string {
  const c = requestCounts(r)
  return c ? `${c.failed}/${c.total}` : NONE
}

/** the part of the experiment name after the bench name: the sweep point and repeat, e.g. "[load.concurrency=2] #2" */
function experimentPart(r: AggregatedResult): string {
  const full = r.bench.full_name
  const rest = r.experiment_name.startsWith(full) ? r.experiment_name.slice(full.length).trim() : r.experiment_name
  return rest || '-'
}

/** 'gpu counter + cpu estimate': each component by its own method when there are several */
function methodLabel(r: AggregatedResult): string {
  if (r.energy_method === 'none') return 'none'
  const parts = Object.entries(r.process_results[0]?.energy_metrics?.component_methods ?? {})
  if (parts.length > 1) return parts.map(([kind, c]) => `${kind} ${c.method.replace('_', ' ')}`).join(' + ')
  return `${r.energy_method.replace('_', ' ')} (${r.energy_confidence})`
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const m = Math.floor(ms / 60_000)
  return `${m}m ${Math.floor((ms - m * 60_000) / 1000)}s`
}

/** identical warnings once each, with the experiments that had them; rarest first, then in order seen */
function groupWarnings(warnings: { name: string; w: string }[]): { w: string; names: string[] }[] {
  const byText = new Map<string, string[]>()
  for (const { name, w } of warnings) {
    const names = byText.get(w) ?? []
    if (!names.includes(name)) names.push(name)
    byText.set(w, names)
  }
  return [...byText.entries()].map(([w, names]) => ({ w, names })).sort((a, b) => a.names.length - b.names.length)
}

/** who had a warning: its experiment, a few names, or "all N experiments" */
function whoHad(names: string[], total: number): string {
  if (names.length === 1) return names[0]
  if (names.length === total) return `all ${total} experiments`
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`
}

const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)
