/** `llem list`: bench files, benches and the expanded experiments, without running anything. */
import path from 'node:path'
import pc from 'picocolors'
import { redactSecrets, redactText } from '../../results/redact.js'
import { resolveRun, type ResolvedRun } from '../../run/resolve-run.js'
import type { CommonFlags } from '../flags.js'
import { runRequest } from '../run-request.js'
import { printPlan, writePlanJson } from '../plan-output.js'

export async function listCommand(filters: string[], flags: CommonFlags, options: Record<string, string | boolean>): Promise<number> {
  const run = await resolveRun({ ...runRequest(filters, flags, options), planOnly: true })
  if (flags.run !== undefined) return await printRunStatus(run, String(flags.run), !!flags.json)
  if (flags.json) await writePlanJson(run)
  else printPlan(run)
  return 0
}

/** The current plan against an earlier run's results: done, failed, interrupted, stale or missing. */
async function printRunStatus(run: ResolvedRun, which: string, json: boolean): Promise<number> {
  // the results' schemas and aggregation are imported only here: a plain `llem list` never reads a run
  const { findRun, readRun } = await import('../../results/run-dir.js')
  const prior = readRun(findRun(run.runOptions.resultsDir, which))
  const rows = run.experiments.filter((x) => x.mode === 'run').flatMap((x) => {
    // ids carry the task hash: a changed config is found by its name, and is stale
    const r = prior.results.get(x.id) ?? [...prior.results.values()].find((p) => p.experiment_name === x.name)
    const state = !r ? 'missing' : r.task_hash !== x.task_hash ? 'stale' : r.status === 'completed' ? 'done' : r.status
    const first = { id: x.id, name: x.name, state, error: r?.error?.message ?? null }
    if (!x.series) return [first]
    // a series' later members were made at run time, from the ones before (`<first id>-s<step>`): the
    // earlier run's, in step order, each as it ended (stale with a stale first member)
    const step = (id: string) => Number(id.slice(x.id.length + 2))
    const members = [...prior.results.values()].filter((p) => p.experiment_id.startsWith(`${x.id}-s`) && step(p.experiment_id) > 1).sort((a, b) => step(a.experiment_id) - step(b.experiment_id))
    return [first, ...members.map((m) => ({ id: m.experiment_id, name: m.experiment_name, state: state === 'stale' ? 'stale' : m.status === 'completed' ? 'done' : m.status, error: m.error?.message ?? null }))]
  })
  if (json) {
    process.stdout.write(JSON.stringify(redactSecrets({ run: path.basename(prior.runDir), experiments: rows, problems: prior.problems }), null, 2) + '\n')
    return 0
  }
  const paint: Record<string, (s: string) => string> = { done: pc.green, failed: pc.red, interrupted: pc.yellow, stale: pc.yellow, missing: pc.dim }
  const lines = [`${pc.bold('run')} ${path.basename(prior.runDir)}`]
  for (const r of rows) lines.push(`  ${paint[r.state](r.state.padEnd(11))} ${r.name}${r.error ? pc.dim(`  (${redactText(r.error)})`) : ''}`)
  for (const p of prior.problems) lines.push(pc.red(`  ! ${p}`))
  const count = (s: string) => rows.filter((r) => r.state === s).length
  lines.push(`${count('done')} done, ${count('failed') + count('interrupted')} failed or interrupted, ${count('missing') + count('stale')} missing`)
  process.stdout.write(lines.join('\n') + '\n')
  return 0
}
