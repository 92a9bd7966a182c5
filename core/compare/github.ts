/**
 * Inside GitHub Actions (GITHUB_ACTIONS=true): one `::error` annotation per regression, pinned to the
 * bench's file and line so it shows on the pull request's diff, and the markdown table appended to the
 * job summary ($GITHUB_STEP_SUMMARY). The annotation lines come from the github-actions reporter (one
 * format and one escaping for every llem annotation), loaded through the registry of built-ins like any
 * reporter. Outside Actions nothing here writes anything.
 */
import { appendFileSync } from 'node:fs'
import path from 'node:path'
import { builtinReporters } from '../reporters/builtin-reporters.js'
import type { Comparison } from './compare.js'
import { formatMarkdown, num, type Sources } from './format.js'
import { describeLimit } from './thresholds.js'

export function inGithubActions(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true'
}

/** The annotation lines (without newlines) for every regression in `cmp`. */
export async function regressionAnnotations(cmp: Comparison, rootDir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const gh = await builtinReporters['github-actions']()
  // annotations name files relative to the checkout; the project may live in a subdirectory of it
  const relocate = (file: string) => (env.GITHUB_WORKSPACE ? path.relative(env.GITHUB_WORKSPACE, path.resolve(rootDir, file)).split(path.sep).join('/') : file)
  const out: string[] = []
  if (cmp.gate_failure) out.push(gh.workflowCommand('error', { title: 'llem: nothing compared' }, cmp.gate_failure))
  for (const x of cmp.experiments) {
    // bench locations are `file:line` (a column only sometimes): both forms pin the line
    const m = /^(.*?):(\d+)(?::\d+)?$/.exec(x.location)
    const at = m ? { file: relocate(m[1]), line: Number(m[2]) } : { file: x.file ? relocate(x.file) : undefined }
    if (x.failed) out.push(gh.workflowCommand('error', { ...at, title: 'llem regression' }, `${x.name}: ${x.warnings.find((w) => w.startsWith('no completed result')) ?? 'no completed result in the current run'}`))
    for (const d of x.metrics.filter((m) => m.regressed && m.threshold)) {
      const t = d.threshold!
      if (t.kind === 'relative' && d.baseline && d.current)
        out.push(gh.annotateRegression({ experiment: x.name, metric: d.metric, baseline: d.baseline.value, current: d.current.value, thresholdPct: t.value, unit: d.unit, ...at }))
      else {
        // an absolute limit, or a number that is missing now: the same annotation, worded for what happened
        const values = d.baseline && d.current ? `${num(d.baseline.value)} ${d.unit} -> ${num(d.current.value)} ${d.unit}` : `${d.baseline ? num(d.baseline.value) : 'n/a'} -> ${d.current ? num(d.current.value) : 'n/a'} ${d.unit}${d.note ? ` (${d.note})` : ''}`
        out.push(gh.workflowCommand('error', { ...at, title: `llem regression: ${d.metric}` }, `${x.name}: ${d.metric} ${values}, threshold ${describeLimit(t)}`))
      }
    }
  }
  return out
}

/**
 * `out` takes the annotations: the runner reads workflow commands from the step's output, and stdout is
 * where they belong unless stdout carries JSON or markdown that something will parse or append.
 */
export async function publishToGithub(cmp: Comparison, sources: Sources, o: { env: NodeJS.ProcessEnv; out: NodeJS.WritableStream; rootDir: string }): Promise<void> {
  if (!inGithubActions(o.env)) return
  const lines = await regressionAnnotations(cmp, o.rootDir, o.env)
  if (lines.length) o.out.write(lines.join('\n') + '\n')
  if (o.env.GITHUB_STEP_SUMMARY) {
    try {
      appendFileSync(o.env.GITHUB_STEP_SUMMARY, formatMarkdown(cmp, sources) + '\n')
    } catch (e) {
      // the gate's verdict matters more than its summary: say so, do not fail on it
      process.stderr.write(`llem: could not append to GITHUB_STEP_SUMMARY (${o.env.GITHUB_STEP_SUMMARY}): ${(e as Error).message}\n`)
    }
  }
}
