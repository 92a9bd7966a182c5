/**
 * Scheduling costs in the main process, measured by a reporter inside a real `llem bench` run:
 * - per-experiment overhead (pool start, worker start, IPC, result write, aggregation): wall time from
 *   onExperimentStart to onExperimentEnd minus the session's own duration in the worker, for trivial
 *   experiments (target: median < 50 ms). Each experiment runs in a fresh process, started when the
 *   previous one on its slot stops measuring (core/run/pool.ts): what this figure still holds is the
 *   part of that start (Node, zod, llem's worker modules: ~0.4 s of CPU on a slow 2-core box) that the
 *   finished experiment's own tail (metrics, its files, its exit, storing its result) does not cover.
 *   On such a box, shared (load 4-8): median 681-914 ms before, 353-502 ms after (issue 21 item 6);
 * - soak: N tiny experiments in one run; the main process's RSS from experiment 20 to N (target:
 *   growth < 50 MB) and its open file descriptors (target: flat).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { BIN, median, project, REPO, run } from './util.js'

const REPORTER = `import { readdirSync, writeFileSync } from 'node:fs'
export default () => {
  const started = new Map(); const rows = []
  return {
    onExperimentStart(x) { started.set(x.id, performance.now()) },
    onExperimentEnd(x, r) {
      const wall = performance.now() - started.get(x.id)
      const session = r.process_results[0].timestamps.duration_sec * 1000
      rows.push({ wall_ms: wall, session_ms: session, overhead_ms: wall - session, rss_mb: process.memoryUsage.rss() / 1048576, fds: readdirSync('/proc/self/fd').length, status: r.status })
    },
    onRunEnd() { writeFileSync('perf-rows.json', JSON.stringify(rows)) },
  }
}
`

function tinyProject(experiments: number, requests: number): string {
  return project({
    'llem.config.json': JSON.stringify({
      measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 50 },
      generation: { maxTokens: 4 },
      load: { requests },
      probes: ['cpu-estimate'],
      reporters: ['./rows-reporter.mjs'],
    }),
    'rows-reporter.mjs': REPORTER,
    'benchmarks/tiny.bench.ts': `import { bench } from 'llem'\nbench('tiny', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] }, sweep: { 'load.seed': Array.from({ length: ${experiments} }, (_, i) => i) } })\n`,
  })
}

interface Row { wall_ms: number; session_ms: number; overhead_ms: number; rss_mb: number; fds: number; status: string }

export function schedulingOverhead(experiments = 15) {
  const dir = tinyProject(experiments, 1)
  run(process.execPath, [BIN, 'bench'], dir)
  const rows: Row[] = JSON.parse(readFileSync(path.join(dir, 'perf-rows.json'), 'utf8'))
  const overhead = median(rows.map((r) => r.overhead_ms))
  // the floor on a machine whose cores the finished experiment's tail keeps busy: a worker process's
  // own start (Node, then worker.js and what it imports), timed alone right after the run
  const worker = path.join(REPO, 'dist', 'core', 'run', 'worker.js')
  const start = Array.from({ length: 5 }, () => run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(worker)}); process.exit(0)`], dir).ms)
  return { experiments, median_overhead_ms: overhead, worker_start_ms: median(start), median_wall_ms: median(rows.map((r) => r.wall_ms)), median_session_ms: median(rows.map((r) => r.session_ms)), target_ms: 50, pass: overhead < 50 }
}

export function soak(experiments = 300) {
  const dir = tinyProject(experiments, 4)
  const t = run(process.execPath, [BIN, 'bench'], dir)
  const rows: Row[] = JSON.parse(readFileSync(path.join(dir, 'perf-rows.json'), 'utf8'))
  const at20 = rows[19]
  const last = rows[rows.length - 1]
  const growth = last.rss_mb - at20.rss_mb
  return {
    experiments: rows.length,
    completed: rows.filter((r) => r.status === 'completed').length,
    minutes: t.ms / 60000,
    rss_mb_at_20: at20.rss_mb,
    rss_mb_at_end: last.rss_mb,
    rss_growth_mb: growth,
    fds_at_20: at20.fds,
    fds_at_end: last.fds,
    pass: growth < 50 && last.fds <= at20.fds + 2 && rows.every((r) => r.status === 'completed'),
  }
}
