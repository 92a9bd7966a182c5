/**
 * A plan with nothing in it: why (no bench file, a file that declares nothing, a filter that matches
 * nothing, a shard past the end) and whether that passes (`passWithNoTests`), as Vitest decides.
 * The text goes to stderr; the exit code is 0 when passing is allowed, else 1.
 */
import path from 'node:path'
import { listBenchNames, resolveRun, type ResolvedRun, type RunRequest } from './resolve-run.js'

export async function explainEmptyPlan(run: ResolvedRun, req: RunRequest): Promise<{ text: string; code: 0 | 1 }> {
  const pass = run.runOptions.passWithNoTests
  if (run.shard && run.shard.planned > 0) {
    // more shards than experiments: this one has nothing, which is no mistake in the benches
    const msg = `shard ${run.shard.index}/${run.shard.count} has none of the ${run.shard.planned} planned experiment${run.shard.planned === 1 ? '' : 's'} (each experiment with its repeats goes to one shard)`
    return pass ? { text: `llem: ${msg}; passing (--passWithNoTests)\n`, code: 0 } : { text: `llem: ${msg}; use fewer shards, or --passWithNoTests to pass\n`, code: 1 }
  }
  const filters = req.filters
  const all = filters.length || req.namePattern ? await resolveRun({ ...req, filters: [], namePattern: undefined }) : run
  const names = listBenchNames(all.benches, all.loaded.rootDir)
  const what = [filters.length ? `filters ${filters.map((f) => JSON.stringify(f)).join(' ')}` : '', req.namePattern ? `-t ${JSON.stringify(req.namePattern)}` : ''].filter(Boolean).join(' and ')
  let text = `llem: no benches found${what ? ` matching ${what}` : ''} (include: ${run.runOptions.include.join(', ')})\n`
  // a matched file that declares nothing is its own case: "no bench files" would send the user looking for the file
  const root = run.loaded.rootDir
  for (const f of run.files.filter((file) => !run.benches.some((b) => b.file === file)))
    text += `${path.relative(root, f)}: declares no bench (bench(), describe() with benches, or a defineBench default export)\n`
  if (names.length) text += `benches:\n${names.map((n) => `  ${n}`).join('\n')}\n`
  else if (all.files.length === 0)
    text += 'no bench files were found at all: `llem init` writes a first one, or run one experiment from flags alone:\n  llem bench --backend.name openai --backend.baseURL http://localhost:8000/v1 --model <served model name>\n'
  if (!pass) return { text, code: 1 }
  return { text: text + 'passing: nothing to run, and --passWithNoTests (config passWithNoTests) says that is fine\n', code: 0 }
}
