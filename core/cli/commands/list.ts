/** `llem list`: bench files, benches and the expanded experiments, without running anything. */
import path from 'node:path'
import pc from 'picocolors'
import { resolveRun, type ResolvedRun } from '../../run/resolve-run.js'
import type { CommonFlags } from '../main.js'
import { runRequest } from './bench.js'

export async function listCommand(filters: string[], flags: CommonFlags, options: Record<string, string | boolean>): Promise<number> {
  const run = await resolveRun(runRequest(filters, flags, options))
  printPlan(run, !!flags.json)
  return 0
}

export function printPlan(run: ResolvedRun, json: boolean): void {
  const root = run.loaded.rootDir
  if (json) {
    const out = {
      config_file: run.loaded.file,
      files: run.files.map((f) => path.relative(root, f)),
      experiments: run.experiments.map((x) => ({ id: x.id, name: x.name, bench: x.bench, task_hash: x.task_hash, mode: x.mode, sweep_point: x.sweep_point, repeat_index: x.repeat_index, effective_config: x.config })),
    }
    process.stdout.write(JSON.stringify(out, null, 2) + '\n')
    return
  }
  const lines: string[] = []
  lines.push(`${pc.bold('config')} ${run.loaded.file ? path.relative(root, run.loaded.file) : '(none: defaults)'}`)
  for (const file of run.files) {
    const rel = path.relative(root, file)
    lines.push(`${pc.bold(rel)}`)
    for (const x of run.experiments.filter((e) => e.bench.file === rel)) {
      const skip = x.mode === 'skip' ? pc.yellow(' (skip)') : ''
      lines.push(`  ${x.name}${skip}  ${pc.dim(`${x.id}  task ${x.task_hash}`)}`)
    }
  }
  const run_ = run.experiments.filter((x) => x.mode === 'run').length
  lines.push(`${run.files.length} files, ${new Set(run.experiments.map((x) => x.bench.location)).size} benches, ${run.experiments.length} experiments (${run_} to run)`)
  process.stdout.write(lines.join('\n') + '\n')
}
