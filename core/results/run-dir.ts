/**
 * The results directory as shared state: a lock file so two llem processes never write one directory
 * (the holder's pid inside; a lock whose process is gone is stale and taken over), and reading an
 * earlier run back for --resume and `llem list --run`, naming every corrupt or foreign file.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { InputError } from '../errors.js'
import { aggregatedResultSchema, type AggregatedResult } from './schema.js'

export interface Lock {
  file: string
  /** set when a stale lock of a dead process was taken over */
  recovered: string | null
  release(): void
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export async function acquireLock(resultsDir: string): Promise<Lock> {
  await mkdir(resultsDir, { recursive: true })
  const file = path.join(resultsDir, '.llem.lock')
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() })
  let recovered: string | null = null
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx' })
      return { file, recovered, release: () => rmSync(file, { force: true }) }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      let holder: { pid?: number; host?: string; since?: string } = {}
      try {
        holder = JSON.parse(readFileSync(file, 'utf8'))
      } catch {
        /* unreadable: treat as stale */
      }
      // a lock held on another host (a shared filesystem) cannot be checked from here: it is live
      const otherHost = holder.host !== undefined && holder.host !== os.hostname()
      if (holder.pid && (otherHost || alive(holder.pid)))
        throw new InputError('RESULTS_LOCKED', `${resultsDir} is in use by another llem (pid ${holder.pid}${otherHost ? ` on ${holder.host}` : ''}, since ${holder.since ?? 'unknown'}); wait for it, or use --results-dir (lock file: ${file})`, { file })
      recovered = `took over a stale lock of pid ${holder.pid ?? 'unknown'} (no such process)`
      rmSync(file, { force: true })
    }
  }
  throw new InputError('RESULTS_LOCKED', `cannot take the lock ${file}`, { file })
}

export interface RunContents {
  runDir: string
  results: Map<string, AggregatedResult>
  /** "file: why" for every file that is not a valid llem result */
  problems: string[]
}

export function findRun(resultsDir: string, which: string): string {
  if (!existsSync(resultsDir)) throw new InputError('RESULTS_INVALID', `no results directory ${resultsDir}: nothing to resume`)
  const runs = readdirSync(resultsDir).filter((d) => existsSync(path.join(resultsDir, d, 'manifest.json'))).sort()
  const id = which === 'latest' || which === '' ? runs[runs.length - 1] : which
  if (!id || !runs.includes(id)) throw new InputError('RESULTS_INVALID', `no run ${which === 'latest' ? '' : `"${which}" `}in ${resultsDir}${runs.length ? ` (runs: ${runs.slice(-5).join(', ')})` : ''}`)
  return path.join(resultsDir, id)
}

export function readRun(runDir: string): RunContents {
  const dir = path.join(runDir, 'aggregated')
  const results = new Map<string, AggregatedResult>()
  const problems: string[] = []
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const file = path.join(dir, f)
    if (!f.endsWith('.json')) {
      if (!f.endsWith('.tmp')) problems.push(`${file}: not a llem result file (unexpected name)`)
      continue
    }
    try {
      const parsed = aggregatedResultSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')))
      if (!parsed.success) problems.push(`${file}: not a llem result (${parsed.error.issues.slice(0, 2).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`)
      else results.set(parsed.data.experiment_id, parsed.data)
    } catch (e) {
      problems.push(`${file}: corrupt (${(e as Error).message.split('\n')[0]})`)
    }
  }
  return { runDir, results, problems }
}
