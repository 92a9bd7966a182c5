/** `llem bench [filters]`: resolve, check, plan, run, report; exit 0 / 1 / 2 / 130. The checks and the
 *  resume logic are core's (run/check-run.ts, results/resume-state.ts); this is the command's flow. */
import path from 'node:path'
import { InputError } from '../../errors.js'
import { redactText } from '../../results/redact.js'
import { resumeNotes, resumeState, runToResume, type ResumeState } from '../../results/resume-state.js'
import { acquireLock } from '../../results/run-dir.js'
import { checkDevices, checkExperiments, checkReporters, loadBaseline } from '../../run/check-run.js'
import { explainEmptyPlan } from '../../run/empty-plan.js'
import { resolveRun } from '../../run/resolve-run.js'
import { runBench } from '../../run/run-bench.js'
import { sanitiseLine } from '../../text/sanitise-terminal.js'
import type { CommonFlags } from '../flags.js'
import { printPlan } from '../plan-output.js'
import { runRequest } from '../run-request.js'

export async function benchCommand(filters: string[], flags: CommonFlags, options: Record<string, string | boolean>, argv: string[]): Promise<number> {
  const req = runRequest(filters, flags, options)
  const run = await resolveRun(req)
  if (flags.detach && run.runOptions.executor.name !== 'slurm') throw new InputError('CONFIG_INVALID', 'command line: --detach needs the slurm executor (--executor slurm): a local run ends when llem does')
  // a gate that cannot run must not pass: the detached run's results do not exist yet when llem returns
  if (flags.detach && flags.compare !== undefined)
    throw new InputError('CONFIG_INVALID', 'command line: --compare with --detach: llem returns before the Slurm tasks have results to compare; run `llem compare <baseline> <run>` once they have ended')
  if (run.experiments.length === 0) {
    const empty = await explainEmptyPlan(run, req)
    process.stderr.write(empty.text)
    return empty.code
  }
  const runnable = run.experiments.filter((x) => x.mode === 'run')
  // bad model paths, dataset files, baselines and reporters are bad input: refused before anything runs
  await checkExperiments(run, { optionKeys: Object.keys(options), env: process.env })
  const resultsDir = run.runOptions.resultsDir
  const baseline = await loadBaseline(flags.compare === undefined ? undefined : String(flags.compare), flags.threshold, resultsDir)
  await checkReporters(run)
  if (flags.dryRun) {
    // a run to resume is looked up now, so a CI "validate" step catches a wrong id
    if (flags.resume !== undefined) runToResume(resultsDir, flags.resume)
    const unfit = await checkDevices(run)
    printPlan(run)
    // the warnings a real run records in each result, shown now (stderr: the plan on stdout stays parseable)
    for (const x of runnable) for (const w of x.config_warnings) process.stderr.write(`llem: warning: ${sanitiseLine(x.name)}: ${sanitiseLine(redactText(w))}\n`)
    for (const line of unfit) process.stderr.write(`llem: ${sanitiseLine(line)}\n`)
    // as the real run would end: those experiments failed
    return unfit.length > 0 ? 1 : 0
  }
  const lock = await acquireLock(resultsDir)
  if (lock.recovered) process.stderr.write(`llem: ${lock.recovered}\n`)
  const interrupt = new AbortController()
  let signals = 0
  const onSignal = (sig: NodeJS.Signals) => {
    signals++
    if (signals > 1) {
      lock.release()
      process.exit(130)
    }
    process.stderr.write(`\nllem: ${sig} received, stopping (press Ctrl-C again to quit at once)\n`)
    interrupt.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    let resume: ResumeState | undefined
    if (flags.resume !== undefined) {
      resume = resumeState(runToResume(resultsDir, flags.resume), run.experiments)
      for (const line of resumeNotes(resume, runnable.length)) process.stderr.write(`llem: ${line}\n`)
    }
    const summary = await runBench(run, { argv, verbose: !!flags.verbose, stdout: process.stdout, isTTY: !!process.stdout.isTTY, interrupt: interrupt.signal, resume, detach: !!flags.detach })
    if (summary.detached) {
      const rel = path.relative(process.cwd(), summary.runDir) || '.'
      process.stdout.write(`submitted to Slurm as job ${summary.detached.jobIds.join(', ')}; results go to ${rel}\n  llem status ${rel}    where each task stands\n  llem report ${rel}    the reports, once the tasks have ended\n`)
      return 0
    }
    const code = summary.status === 'interrupted' ? 130 : summary.status === 'failed' ? 1 : 0
    // an interrupted run has nothing whole to compare; a failed one keeps its own exit code
    if (!baseline || summary.status === 'interrupted') return code
    const { compareAgainst, describeRunDir } = await import('../../compare/report-comparison.js')
    const cwd = process.cwd()
    process.stdout.write('\n')
    const o = { json: false, markdown: false, stdout: process.stdout, env: process.env, rootDir: run.loaded.rootDir }
    const { plannedExperiments, readManifest } = await import('../../compare/stored-run.js')
    // the plan as the run directory records it, series members included: as `llem compare` reads it
    const planned = plannedExperiments(readManifest(summary.runDir))
    const compared = await compareAgainst(baseline, summary.results, describeRunDir(summary.runDir, summary.results.length, cwd), flags.threshold, o, cwd, planned)
    return code || compared
  } finally {
    lock.release()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
