/**
 * What `--resume` carries over from an earlier run. The run directory is one run whatever filter
 * each invocation used: experiments it holds that this invocation did not plan (another filter, `-t`,
 * a shard) stay in it as they were, in its manifest and in results.json, so results.json and
 * `llem report` (which reads every aggregated file) describe the same run. Of the planned ones, those
 * already completed with the same configuration (task_hash) are kept and not run again.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Experiment } from '../plan/plan.js'
import { sanitiseLine } from '../text/sanitise-terminal.js'
import { findRun, readRun } from './run-dir.js'
import { manifestSchema, type AggregatedResult, type Manifest } from './schema.js'

export interface ResumeState {
  runId: string
  /** planned experiments already completed with the same configuration: not run again */
  done: Set<string>
  /** results the run keeps: those of `done`, and every result of an experiment not planned now */
  prior: AggregatedResult[]
  /** manifest entries of the earlier run's experiments that are not planned now, kept as they were */
  kept: Manifest['experiments']
  /** unreadable files of the earlier run, each saying whether its experiment runs again, for the user */
  problems: string[]
}

/** `--resume` (the latest run) or `--resume <run id>`: that run's directory in `resultsDir`, or bad input naming the runs there. */
export function runToResume(resultsDir: string, flag: string | boolean): string {
  return findRun(resultsDir, flag === true ? 'latest' : String(flag))
}

/** What resuming says before the run starts, one line each: the unreadable files, then what is kept. */
export function resumeNotes(state: ResumeState, runnable: number): string[] {
  // problems name files and quote their contents: the run directory is not trusted
  const lines = state.problems.map(sanitiseLine)
  const n = state.kept.length
  const kept = n ? `; ${n} other experiment${n === 1 ? '' : 's'} of that run (not selected now) kept as ${n === 1 ? 'it was' : 'they were'}` : ''
  lines.push(`resuming ${state.runId}: ${state.done.size} of ${runnable} experiments already completed${kept}`)
  return lines
}

export function resumeState(runDir: string, planned: Pick<Experiment, 'id' | 'task_hash'>[]): ResumeState {
  const prior = readRun(runDir)
  const plannedIds = new Set(planned.map((x) => x.id))
  const done = new Set(planned.filter((x) => prior.results.get(x.id)?.status === 'completed' && prior.results.get(x.id)?.task_hash === x.task_hash).map((x) => x.id))
  const others = [...prior.results.values()].filter((r) => !plannedIds.has(r.experiment_id))
  return {
    runId: path.basename(runDir),
    done,
    prior: [...[...done].map((id) => prior.results.get(id)!), ...others],
    // a planned series' later members are its own, run again from its first not completed: not "kept"
    kept: earlierManifest(runDir).filter((e) => !plannedIds.has(e.id) && !(e.series && plannedIds.has(String(e.series.group)))),
    // a planned experiment whose file is unreadable runs again; any other file is only named
    problems: prior.problems.map((p) => `${p}: ${planned.some((x) => p.startsWith(`${path.join(runDir, 'aggregated', `${x.id}.json`)}: `)) ? 'its experiment runs again' : 'ignored: no experiment planned now has this file'}`),
  }
}

/** the earlier manifest's experiments; none when it is missing or unreadable (findRun checked it exists) */
function earlierManifest(runDir: string): Manifest['experiments'] {
  const file = path.join(runDir, 'manifest.json')
  if (!existsSync(file)) return []
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    return parsed.success ? parsed.data.experiments : []
  } catch {
    return []
  }
}
