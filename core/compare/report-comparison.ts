/**
 * A comparison printed and gated: shared by `llem compare` and `llem bench --compare`, which compare a
 * stored baseline against stored or just-measured results. Exit status 1 when something regressed.
 */
import path from 'node:path'
import type { AggregatedResult } from '../results/schema.js'
import { compareResults, type Comparison, type PlannedExperiment } from './compare.js'
import { formatMarkdown, formatText, type Sources } from './format.js'
import { publishToGithub } from './github.js'
import type { StoredRun } from '../results/run-dir.js'
import { parseThresholds } from './thresholds.js'

export interface CompareOutput {
  json: boolean
  markdown: boolean
  stdout: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  /** what bench locations are relative to, for annotations pinned to a file */
  rootDir: string
}

export function describeRun(run: StoredRun, cwd: string): string {
  const rel = path.relative(cwd, run.path)
  const shown = rel && !rel.startsWith('..') ? rel : run.path
  return run.kind === 'run-dir' ? `${shown} (${countResults(run.results.length)})` : `${shown} (run ${run.runId}, ${countResults(run.results.length)})`
}

export const countResults = (n: number) => `${n} result${n === 1 ? '' : 's'}`

/** How the current run of `llem bench --compare` is named: as a stored one would be. */
export function describeRunDir(runDir: string, count: number, cwd: string): string {
  const rel = path.relative(cwd, runDir)
  return `${rel && !rel.startsWith('..') ? rel : runDir} (${countResults(count)})`
}

/** Prints the comparison in the chosen form, annotates it in GitHub Actions; returns 1 when it regressed. */
export async function reportComparison(cmp: Comparison, sources: Sources, o: CompareOutput): Promise<number> {
  if (o.json) o.stdout.write(JSON.stringify({ baseline: sources.baseline, current: sources.current, ...cmp }, null, 2) + '\n')
  else if (o.markdown) o.stdout.write(formatMarkdown(cmp, sources))
  else o.stdout.write(formatText(cmp, sources))
  // annotations must not land inside JSON or markdown that a script reads from stdout
  await publishToGithub(cmp, sources, { env: o.env, out: o.json || o.markdown ? process.stderr : o.stdout, rootDir: o.rootDir })
  return cmp.status === 'regressed' ? 1 : 0
}

/** `planned`: what the current run planned, so an experiment it never got to counts as not completed */
export function compareAgainst(baseline: StoredRun, current: AggregatedResult[], currentLabel: string, threshold: string | string[] | undefined, o: CompareOutput, cwd: string, planned: readonly PlannedExperiment[] = []): Promise<number> {
  const thresholds = parseThresholds(threshold)
  const cmp = compareResults(baseline.results, current, thresholds, planned)
  return reportComparison(cmp, { baseline: describeRun(baseline, cwd), current: currentLabel }, o)
}
