/**
 * `llem compare <baseline> <current> [--threshold metric=limit,...] [--json | --markdown]`: exit 0 when
 * nothing regressed past its threshold, 1 when something did (or an experiment that completed in the
 * baseline did not complete now), 2 on bad input. `llem bench --compare` shares everything after loading.
 */
import path from 'node:path'
import { compareResults, type Comparison } from '../../compare/compare.js'
import { formatMarkdown, formatText, type Sources } from '../../compare/format.js'
import { publishToGithub } from '../../compare/github.js'
import { loadStoredRun, type StoredRun } from '../../compare/stored-run.js'
import { parseThresholds } from '../../compare/thresholds.js'
import { loadConfig } from '../../config/load-config.js'
import { closest } from '../../config/suggest.js'
import { InputError } from '../../errors.js'
import { resolveResultsDir } from '../../results/results-dir.js'
import type { AggregatedResult } from '../../results/schema.js'
import type { CommonFlags } from '../main.js'

export interface CompareOutput {
  json: boolean
  markdown: boolean
  stdout: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
  /** what bench locations are relative to, for annotations pinned to a file */
  rootDir: string
}

/** The results directory a bare run id is looked up in: --results-dir, LLEM_RESULTS_DIR, the config's, the default (results-dir.ts). */
export function resultsDirFor(flags: CommonFlags, cwd: string): () => Promise<string> {
  let dir: Promise<string> | undefined
  // loading the config only when a run id needs it: two explicit paths must not depend on a config
  return () =>
    (dir ??= (async () => {
      const flag = flags.resultsDir === undefined ? undefined : String(flags.resultsDir)
      const env = process.env
      if (flag !== undefined || env.LLEM_RESULTS_DIR) return resolveResultsDir({ flag, env, rootDir: cwd, cwd })
      const loaded = await loadConfig({ cwd, configPath: flags.config })
      return resolveResultsDir({ env, configured: loaded.config.resultsDir, rootDir: loaded.rootDir, cwd })
    })())
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

export function compareAgainst(baseline: StoredRun, current: AggregatedResult[], currentLabel: string, flags: CommonFlags, o: CompareOutput, cwd: string): Promise<number> {
  const thresholds = parseThresholds(flags.threshold)
  const cmp = compareResults(baseline.results, current, thresholds)
  return reportComparison(cmp, { baseline: describeRun(baseline, cwd), current: currentLabel }, o)
}

const COMPARE_FLAGS = ['threshold', 'json', 'markdown', 'results-dir', 'config', 'verbose']

/** Anything splitArgv took for a config option (a typo of a flag, an experiment option) means nothing here. */
export function rejectOptions(options: Record<string, string | boolean>): never {
  const key = Object.keys(options)[0]
  const guess = closest(key, COMPARE_FLAGS)
  throw new InputError('CONFIG_INVALID', `command line: llem compare has no option --${key}${guess ? ` (did you mean --${guess}?)` : ''}; options: ${COMPARE_FLAGS.map((f) => `--${f}`).join(', ')}`, { where: key })
}

export async function compareCommand(baselineName: string, currentName: string, flags: CommonFlags): Promise<number> {
  const cwd = process.cwd()
  // thresholds first: a typo in the gate is found before any file is read
  parseThresholds(flags.threshold)
  const resultsDir = resultsDirFor(flags, cwd)
  const baseline = await loadStoredRun(String(baselineName), cwd, resultsDir)
  const current = await loadStoredRun(String(currentName), cwd, resultsDir)
  const o: CompareOutput = { json: !!flags.json, markdown: !!flags.markdown, stdout: process.stdout, env: process.env, rootDir: cwd }
  return compareAgainst(baseline, current.results, describeRun(current, cwd), flags, o, cwd)
}
