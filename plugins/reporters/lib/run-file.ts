/**
 * The shape most file reporters share: collect each result as its experiment ends, write one file at
 * the end of the run (atomically), and say where only when the user chose the place (the default lies
 * in the run directory the console reporter already names).
 */
import path from 'node:path'
import type { Reporter, ReporterContext, RunSummary, AggregatedResult } from 'llem/plugin'
import { writeFileAtomic, writeFileAtomicPieces } from 'llem/plugin'

export interface RunFileSpec {
  name: string
  /** the file's name inside the run directory when no outputFile is given */
  defaultName: string
  /** "CSV report", "Zeus CSV": what the line announcing the file calls it */
  label: string
  /** the whole file, or its pieces in order for a file too large to hold as one string */
  render(results: AggregatedResult[], summary: RunSummary): string | Generator<string>
  /** after the file is written (the markdown summary also goes to $GITHUB_STEP_SUMMARY) */
  after?(text: string | null, summary: RunSummary): Promise<void>
}

export function runFileReporter(ctx: ReporterContext, spec: RunFileSpec): Reporter {
  const results: AggregatedResult[] = []
  const file = ctx.outputFile ?? path.join(ctx.runDir, spec.defaultName)
  return {
    name: spec.name,
    onExperimentEnd(_info, result) {
      results.push(result)
    },
    async onRunEnd(summary) {
      // the run's own list, which after --resume also holds the experiments completed before
      const out = spec.render(summary.results.length >= results.length ? summary.results : results, summary)
      if (typeof out === 'string') await writeFileAtomic(file, out)
      else await writeFileAtomicPieces(file, out)
      if (ctx.outputFile !== null) ctx.stdout.write(`${spec.label} written to ${file}\n`)
      await spec.after?.(typeof out === 'string' ? out : null, summary)
    },
  }
}
