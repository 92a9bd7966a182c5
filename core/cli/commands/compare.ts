/**
 * `llem compare <baseline> <current> [--threshold metric=limit,...] [--json | --markdown]`: exit 0 when
 * nothing regressed past its threshold, 1 when something did (or an experiment that completed in the
 * baseline did not complete now), 2 on bad input. `llem bench --compare` shares everything after loading.
 */
import { compareAgainst, describeRun, type CompareOutput } from '../../compare/report-comparison.js'
import { loadStoredRun, plannedExperiments } from '../../compare/stored-run.js'
import { parseThresholds } from '../../compare/thresholds.js'
import { loadConfig } from '../../config/load-config.js'
import { closest } from '../../config/suggest.js'
import { InputError } from '../../errors.js'
import { resultsDirFlag, resultsDirLookup } from '../../results/results-dir.js'
import type { CommonFlags } from '../flags.js'

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
  // two output formats at once would print one and drop the other without a word
  if (flags.json && flags.markdown) throw new InputError('CONFIG_INVALID', 'command line: --json and --markdown are two output formats: give one')
  // a bare run id is looked up by the one rule (results-dir.ts); two paths need no config
  const resultsDir = resultsDirLookup({ flag: resultsDirFlag(flags), env: process.env, cwd, config: async () => {
    const loaded = await loadConfig({ cwd, configPath: flags.config })
    return { resultsDir: loaded.config.resultsDir, rootDir: loaded.rootDir }
  } })
  const baseline = await loadStoredRun(String(baselineName), cwd, resultsDir)
  const current = await loadStoredRun(String(currentName), cwd, resultsDir)
  const o: CompareOutput = { json: !!flags.json, markdown: !!flags.markdown, stdout: process.stdout, env: process.env, rootDir: cwd }
  return compareAgainst(baseline, current.results, describeRun(current, cwd), flags.threshold, o, cwd, plannedExperiments(current.manifest))
}
