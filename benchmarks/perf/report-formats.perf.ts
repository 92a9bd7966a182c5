/**
 * Writing every file format (json, csv, lm-eval, mlenergy, zeus-csv, codecarbon, parquet, markdown,
 * github-actions, html) for a
 * large run: 1,000 experiments x 100 requests, each with its power timeline on disk, as `llem report`
 * or the end of `llem bench` would. Targets: all formats in under 1.5 s together, peak RSS under 250 MB.
 * Measured on a shared 2-core VM (load 4 to 6; docs/formats.md#performance has the detail): 11.8 s and
 * 356 MB before the writers streamed their output, 10.8 s and 252 MB after (6.3 s with the output on
 * tmpfs): creating lm-eval's and ML.ENERGY's 2,000-odd files, then JSON.stringify, take the most.
 *
 * It runs in a child process of its own (this file again, through jiti), so the peak RSS is that of
 * the results plus the writers, not of whatever else `npm run perf` loaded before it. Building the
 * synthetic results and their timelines is setup and not timed; the peak RSS covers everything.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Reporter, ReporterContext, RunSummary } from '../../core/reporters/types.js'
import { REPO } from './util.js'

const CHILD_ENV = 'LLEM_PERF_FORMATS_DIR'
const FORMATS = ['json', 'csv', 'lm-eval', 'mlenergy', 'zeus-csv', 'codecarbon', 'parquet', 'markdown', 'github-actions', 'html'] as const
export const TARGET_MS = 1500
export const TARGET_RSS_MB = 250

// a type, not an interface: run.ts keeps every result in a Record<string, unknown>
export type ReportFormatsResult = {
  experiments: number
  requests: number
  total_ms: number
  per_format_ms: Record<string, number>
  /** CPU time (user + system) of the writing, less sensitive than wall time to other load on the machine */
  cpu_ms: number
  /** RSS once the synthetic results were built, before any format was written */
  inputs_rss_mb: number
  peak_rss_mb: number
  output_mb: number
  /** the machine's 1-minute load average when the writing ended: other work slows the figures down */
  load_average: number
  /** the file system's share: the same directories and files, of the same sizes, written again with
   *  bare mkdirSync and writeFileSync from one buffer (no formatting, no temp file and rename). On a VM
   *  whose disk makes each file or directory cost ~0.5 ms, most of the total is this */
  fs_floor: { ms: number; files: number; dirs: number }
  target_ms: number
  target_rss_mb: number
  pass: boolean
}

export function reportFormats(experiments = 1000, requests = 100): ReportFormatsResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-perf-formats-'))
  try {
    const r = spawnSync(process.execPath, ['--import', 'jiti/register', fileURLToPath(import.meta.url), String(experiments), String(requests)], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, [CHILD_ENV]: dir },
      maxBuffer: 64 * 1024 * 1024,
    })
    if (r.status !== 0) throw new Error(`report-formats child exited ${r.status}: ${r.stderr}`)
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<ReportFormatsResult, 'pass' | 'target_ms' | 'target_rss_mb'>
    return { ...result, target_ms: TARGET_MS, target_rss_mb: TARGET_RSS_MB, pass: result.total_ms < TARGET_MS && result.peak_rss_mb < TARGET_RSS_MB }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A stdout that only counts: the annotations are measured being made, not being printed. */
function sink(): NodeJS.WritableStream & { bytes: number } {
  const s = { bytes: 0, write: (chunk: string) => ((s.bytes += chunk.length), true) }
  return s as unknown as NodeJS.WritableStream & { bytes: number }
}

/** Writes `from`'s tree again under `to`: every directory, and every file at its size from one buffer. */
function fileSystemFloor(from: string, to: string): { ms: number; files: number; dirs: number } {
  const dirs: string[] = []
  const files: Array<{ rel: string; size: number }> = []
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(from, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name)
      if (e.isDirectory()) {
        dirs.push(r)
        walk(r)
      } else files.push({ rel: r, size: statSync(path.join(from, r)).size })
    }
  }
  walk('')
  const bytes = Buffer.alloc(files.reduce((m, f) => Math.max(m, f.size), 0), 'x')
  mkdirSync(to)
  const t = performance.now()
  for (const d of dirs) mkdirSync(path.join(to, d))
  for (const f of files) writeFileSync(path.join(to, f.rel), bytes.subarray(0, f.size))
  return { ms: performance.now() - t, files: files.length, dirs: dirs.length }
}

function duSync(dir: string): number {
  const r = spawnSync('du', ['-sk', dir], { encoding: 'utf8' })
  return r.status === 0 ? Number(r.stdout.split('\t')[0]) / 1024 : NaN
}

async function child(dir: string, experiments: number, requests: number, only: readonly string[]): Promise<void> {
  const { builtinReporters } = await import('../../core/reporters/builtin-reporters.js')
  const { gpuTimelineCsv, syntheticRun } = await import('../../test/fixtures/format-results.js')
  // load every writer (and the dataset reader lm-eval and mlenergy import lazily) before the clock
  // starts: module loading is the CLI's start-up cost, not the formats'
  const factories = await Promise.all(FORMATS.filter((f) => only.length === 0 || only.includes(f)).map(async (f) => [f, (await builtinReporters[f]()).default] as const))
  await import('../../core/workload/dataset.js')
  const runDir = path.join(dir, 'run')
  const results = syntheticRun(experiments, requests)
  mkdirSync(path.join(runDir, 'timeseries'), { recursive: true })
  const timeline = gpuTimelineCsv()
  for (const r of results) writeFileSync(path.join(runDir, r.timeseries_path!), timeline)
  // the timelines are on disk before the clock starts, as a finished run's are: their write-back is the
  // setup's, not the writers' (without this, the writers' own files queue behind ~50 MB of dirty pages)
  spawnSync('sync')
  const inputsRss = process.memoryUsage.rss() / 1048576
  const summary: RunSummary = { runId: 'perf', runDir, results, skipped: [], durationMs: 1, status: 'passed', repeats: [] }
  const perFormat: Record<string, number> = {}
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  for (const [name, factory] of factories) {
    const ctx: ReporterContext = { runId: 'perf', runDir, rootDir: dir, configFile: null, options: {}, outputFile: path.join(dir, 'out', name), stdout: sink(), isTTY: false, verbose: false }
    const reporter = (typeof factory === 'function' ? factory(ctx) : factory) as Reporter
    const t = performance.now()
    await reporter.onRunEnd?.(summary)
    perFormat[name] = performance.now() - t
  }
  const total = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const peakRss = process.resourceUsage().maxRSS / 1024
  spawnSync('sync')
  const fsFloor = fileSystemFloor(path.join(dir, 'out'), path.join(dir, 'floor'))
  const out: Omit<ReportFormatsResult, 'pass' | 'target_ms' | 'target_rss_mb'> = {
    experiments,
    requests,
    total_ms: total,
    per_format_ms: perFormat,
    cpu_ms: (cpu.user + cpu.system) / 1000,
    inputs_rss_mb: inputsRss,
    peak_rss_mb: peakRss,
    output_mb: duSync(path.join(dir, 'out')),
    load_average: os.loadavg()[0],
    fs_floor: fsFloor,
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

const childDir = process.env[CHILD_ENV]
if (childDir && process.argv[1] === fileURLToPath(import.meta.url)) {
  // argv: experiments, requests, and optionally a comma-separated list of formats (to profile one)
  child(childDir, Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 100), (process.argv[4] ?? '').split(',').filter(Boolean)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  })
}
