/**
 * Planning a large sweep: one bench with two 100-value axes (10,000 experiments), then
 * `llem list --json` and `llem bench --dry-run` on it. Targets: each under 1 s wall (median) and
 * under 150 MB peak RSS. Whole-process figures, Node's own start included; the peak RSS is read by
 * the child itself at exit (a preload module), so it is that process's, not the benchmark's.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { BIN, CACHE, median, project } from './util.js'

export const TARGET_MS = 1000
export const TARGET_RSS_MB = 150

// written into the temp project and preloaded with --import: the process's own peak RSS at exit
const PEAK_RSS_PROBE = `import { writeFileSync } from 'node:fs'
process.on('exit', () => {
  const u = process.resourceUsage()
  writeFileSync(process.env.LLEM_PERF_PEAK_FILE, JSON.stringify({ peak_mb: u.maxRSS / 1024, cpu_ms: (u.userCPUTime + u.systemCPUTime) / 1000 }))
})
`

function sweepProject(values: number): string {
  const axis = (f: (i: number) => number) => JSON.stringify(Array.from({ length: values }, (_, i) => f(i)))
  return project({
    'llem.config.json': JSON.stringify({ measurement: { baseline: { enabled: false } } }),
    'peak-rss-probe.mjs': PEAK_RSS_PROBE,
    'benchmarks/big.bench.ts': `import { bench } from 'llem'
bench('big sweep', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] }, sweep: { 'load.seed': ${axis((i) => i)}, 'generation.maxTokens': ${axis((i) => i + 1)} } })
`,
  })
}

function timed(args: string[], dir: string): { ms: number; cpu_ms: number; peak_mb: number; stdout_mb: number } {
  const peakFile = path.join(dir, 'peak-rss.txt')
  rmSync(peakFile, { force: true })
  const t0 = performance.now()
  const r = spawnSync(process.execPath, ['--import', path.join(dir, 'peak-rss-probe.mjs'), BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    env: { ...process.env, LLEM_CACHE_DIR: CACHE, CI: 'true', NO_COLOR: '1', LLEM_PERF_PEAK_FILE: peakFile },
  })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`llem ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`)
  const { peak_mb, cpu_ms } = JSON.parse(readFileSync(peakFile, 'utf8')) as { peak_mb: number; cpu_ms: number }
  return { ms, cpu_ms, peak_mb, stdout_mb: Buffer.byteLength(r.stdout) / 1048576 }
}

export type SweepPlanResult = {
  experiments: number
  /** cpu_ms: the process's user + system CPU time, less sensitive than wall time to other load */
  commands: Record<string, { median_ms: number; samples_ms: number[]; median_cpu_ms: number; peak_rss_mb: number; stdout_mb: number; floor_ms: number; floor_cpu_ms: number; pass: boolean }>
  target_ms: number
  target_rss_mb: number
  load_average: number
  pass: boolean
}

export function sweepPlan(values = 100, rounds = 5): SweepPlanResult {
  const dir = sweepProject(values)
  // the floor: the same commands on a one-point sweep of the same bench (Node, llem's modules, the
  // config and the bench file), each round beside the large one's
  const one = sweepProject(1)
  try {
    const commands: SweepPlanResult['commands'] = {}
    for (const args of [['list', '--json'], ['bench', '--dry-run']]) {
      const runs: ReturnType<typeof timed>[] = []
      const floor: ReturnType<typeof timed>[] = []
      for (let i = 0; i < rounds; i++) {
        runs.push(timed(args, dir))
        floor.push(timed(args, one))
      }
      const ms = median(runs.map((r) => r.ms))
      const peak = median(runs.map((r) => r.peak_mb))
      commands[args.join(' ')] = { median_ms: ms, samples_ms: runs.map((r) => r.ms), median_cpu_ms: median(runs.map((r) => r.cpu_ms)), peak_rss_mb: peak, stdout_mb: runs[0].stdout_mb, floor_ms: median(floor.map((r) => r.ms)), floor_cpu_ms: median(floor.map((r) => r.cpu_ms)), pass: ms < TARGET_MS && peak < TARGET_RSS_MB }
    }
    return { experiments: values * values, commands, target_ms: TARGET_MS, target_rss_mb: TARGET_RSS_MB, load_average: os.loadavg()[0], pass: Object.values(commands).every((c) => c.pass) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    rmSync(one, { recursive: true, force: true })
  }
}
