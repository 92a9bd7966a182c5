/**
 * The plan as `llem list` prints it, and `llem bench --dry-run` too: text, or JSON written one
 * experiment at a time. Its own module so the two commands share it without importing each other.
 */
import path from 'node:path'
import pc from 'picocolors'
import { RedactMemo, redactSecrets, rememberSecrets } from '../results/redact.js'
import type { ResolvedRun } from '../run/resolve-run.js'
import { describePlannedSeries } from '../run/series-plan.js'

/** Until the stream takes more: drained, or closed (its reader gone), whichever comes first. */
function drained(out: NodeJS.WriteStream): Promise<void> {
  if (out.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      for (const e of ['drain', 'close', 'error']) out.off(e, done)
      resolve()
    }
    for (const e of ['drain', 'close', 'error']) out.once(e, done)
  })
}

/**
 * The plan as JSON, the same bytes as one JSON.stringify(plan, null, 2), written one experiment at a
 * time: a 10,000-point sweep is tens of MB of effective configs, which one whole string (and its
 * redacted copy) held in memory at once. Secrets are gathered from every experiment before the first
 * is written, so a secret set in one experiment is masked where another echoes it, as before.
 */
export async function writePlanJson(run: ResolvedRun): Promise<void> {
  const root = run.loaded.rootDir
  // with --shard: which share these experiments are, of how many planned
  const head = { config_file: run.loaded.file, files: run.files.map((f) => path.relative(root, f)), shard: run.shard }
  const rows = run.experiments.map((x) => () => ({ id: x.id, name: x.name, bench: x.bench, task_hash: x.task_hash, mode: x.mode, sweep_point: x.sweep_point, repeat_index: x.repeat_index, effective_config: x.config, ...(x.series ? { series: { ...x.series, then: describePlannedSeries(x.config, x.series.cap) } } : {}) }))
  // effective configs hold the bench's secrets (a server's env, extraBody): masked as in results
  rememberSecrets(head)
  // the experiments of a sweep share their config sections: each searched and masked once
  const memo = new RedactMemo()
  for (const row of rows) rememberSecrets(row(), memo)
  const out = process.stdout
  // rows are encoded into a 1 MB buffer as they come: a string grown row by row is a rope that
  // writing had to flatten and encode again, the costliest part of writing 50 MB
  let buf = Buffer.allocUnsafe(1 << 20)
  let used = 0
  /** false: stdout was closed (`llem list --json | head`), which ends the listing, not with an error */
  const put = async (text: string): Promise<boolean> => {
    const bytes = Buffer.byteLength(text)
    if (used + bytes > buf.length) {
      if (!out.write(buf.subarray(0, used))) await drained(out)
      if (out.destroyed) return false
      buf = Buffer.allocUnsafe(Math.max(1 << 20, bytes))
      used = 0
    }
    used += buf.write(text, used)
    return true
  }
  if (!(await put(JSON.stringify(redactSecrets(head), null, 2).slice(0, -2) + ',\n  "experiments": ['))) return
  for (const [i, row] of rows.entries())
    if (!(await put((i ? ',' : '') + '\n    ' + JSON.stringify(redactSecrets(row(), memo), null, 2).replaceAll('\n', '\n    ')))) return
  if (!(await put(rows.length ? '\n  ]\n}\n' : ']\n}\n'))) return
  out.write(buf.subarray(0, used))
}

export function printPlan(run: ResolvedRun): void {
  const root = run.loaded.rootDir
  const lines: string[] = []
  lines.push(`${pc.bold('config')} ${run.loaded.file ? path.relative(root, run.loaded.file) : '(none: defaults)'}`)
  for (const file of run.files) {
    const rel = path.relative(root, file)
    const mine = run.experiments.filter((e) => e.bench.file === rel)
    // a shard lists the files it has experiments from
    if (run.shard && mine.length === 0) continue
    lines.push(`${pc.bold(rel)}`)
    for (const x of mine) {
      const skip = x.mode === 'skip' ? pc.yellow(' (skip)') : ''
      lines.push(`  ${x.name}${skip}  ${pc.dim(`${x.id}  task ${x.task_hash}`)}`)
      if (x.series) lines.push(`    ${pc.dim(describePlannedSeries(x.config, x.series.cap) ?? '')}`)
    }
  }
  // a run without a bench file: its experiments come from the flags (flags-bench.ts)
  const fromFlags = run.experiments.filter((x) => x.bench.from_flags)
  if (fromFlags.length) lines.push(`${pc.bold('command line')} ${pc.dim('(no bench file: the bench is the flags)')}`)
  for (const x of fromFlags) {
    lines.push(`  ${x.name}  ${pc.dim(`${x.id}  task ${x.task_hash}`)}`)
    if (x.series) lines.push(`    ${pc.dim(describePlannedSeries(x.config, x.series.cap) ?? '')}`)
  }
  const run_ = run.experiments.filter((x) => x.mode === 'run').length
  const files = run.shard ? new Set(run.experiments.map((x) => x.bench.file)).size : run.files.length
  const shard = run.shard ? `shard ${run.shard.index}/${run.shard.count} (of ${run.shard.planned} planned experiments): ` : ''
  lines.push(`${shard}${files} files, ${new Set(run.experiments.map((x) => x.bench.location)).size} benches, ${run.experiments.length} experiments (${run_} to run)`)
  process.stdout.write(lines.join('\n') + '\n')
}
