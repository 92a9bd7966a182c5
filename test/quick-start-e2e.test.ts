/**
 * The README's quick start, as a new user runs it: `npx llem bench` in the repository, on its own
 * benchmarks/ folder and its own llem.config.ts, nothing else given. That config keeps the defaults
 * except a 3 s idle baseline (the library default is 30 s, what a user's own project gets) and a warmup
 * cap of 20; so this run includes the default CV warmup, which no other test runs. The cache is fresh,
 * as on a first run, so the baseline is really measured (or refused when the host is busy); only the random models are shared with the
 * other tests (generating them is not what this checks). Expected values come from the bench files
 * (prompts x repeats, maxTokens) and from the warmup's definition, recomputed from its own latencies.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO, TEST_CACHE } from './fixtures/project.js'

/** sample coefficient of variation (n - 1), the usual definition, written out here */
function cv(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1))
  return sd / mean
}

function npxLlemBench(cache: string, results: string): Promise<{ code: number | null; out: string }> {
  // a user's shell: no CI variable, no test cache; results out of the checkout
  const env: NodeJS.ProcessEnv = { ...process.env, LLEM_CACHE_DIR: cache, LLEM_RESULTS_DIR: results, NO_COLOR: '1' }
  delete env.CI
  // nor a llama-server: benchmarks/multi-turn.bench.ts, which needs one, is skipped
  delete env.LLEM_LLAMA_SERVER
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['llem', 'bench'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
}

describe('the quick start', () => {
  it('`npx llem bench` runs the nine example experiments, with the idle baseline and the default CV warmup', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'llem-quick-cache-'))
    mkdirSync(path.join(TEST_CACHE, 'models'), { recursive: true })
    symlinkSync(path.join(TEST_CACHE, 'models'), path.join(cache, 'models'))
    const results = mkdtempSync(path.join(os.tmpdir(), 'llem-quick-results-'))
    const r = await npxLlemBench(cache, results)
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain('9 passed, 0 failed')
    const [runId] = readdirSync(results).filter((d) => !d.startsWith('.'))
    const run = path.join(results, runId)
    const read = (dir: string) => readdirSync(path.join(run, dir), { recursive: true }).filter((f) => String(f).endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(run, dir, String(f)), 'utf8')))

    // benchmarks/tiny-chat.bench.ts: 4 prompts x 4 repeats of 64 tokens; a sweep of 16 synthetic
    // prompts x 48 tokens at concurrency 1, 2, 4. benchmarks/shape-25m.bench.ts: 8 prompts x 32 tokens
    const all = read('aggregated').sort((a, b) => a.experiment_name.localeCompare(b.experiment_name))
    // the workload examples: lengths drawn per prompt, a parquet chat dataset's reply lengths, a CSV
    // trace (benchmarks/data/trace.csv: its output lengths add up to 196); every request gets its own
    // length exactly (ignoreEos), as llama.cpp's loop counts the tokens
    const workloads = all.filter((a) => a.experiment_name.startsWith('random llama 1M,'))
    expect(workloads.map((a) => [a.experiment_name, a.status, a.num_requests, a.num_failed_requests])).toEqual([
      ['random llama 1M, a parquet chat dataset with its reply lengths', 'completed', 8, 0],
      ['random llama 1M, drawn prompt and output lengths', 'completed', 12, 0],
      ['random llama 1M, replaying a CSV trace of request lengths', 'completed', 8, 0],
      ['random llama 1M, replaying a Mooncake trace at its arrival times', 'completed', 12, 0],
    ])
    expect(workloads[2].total_output_tokens).toBe(16 + 8 + 32 + 12 + 48 + 24 + 16 + 40)
    // benchmarks/data/mooncake-trace.jsonl: 12 requests whose output lengths add up to 124, sent at
    // twice their trace gaps (timeScale 2; the last is due 1140 ms after the first, so 2280 ms)
    expect(workloads[3].total_output_tokens).toBe(124)
    expect(workloads[3].workload.replay).toMatchObject({ time_scale: 2, requests: 12 })
    expect(workloads[3].workload.replay.trace_span_ms).toBeCloseTo(2280, 6)
    for (const a of workloads) {
      expect(a.workload.output_lengths.mode).toBe('enforced')
      for (const q of a.process_results[0].requests) expect(q.output_tokens).toBe(q.requested_output_tokens)
    }
    for (const q of workloads[1].process_results[0].requests) expect(q.output_tokens >= 16 && q.output_tokens <= 64, String(q.output_tokens)).toBe(true)
    const agg = all.filter((a) => !workloads.includes(a))
    expect(agg.map((a) => [a.experiment_name, a.status, a.num_requests, a.num_failed_requests, a.total_output_tokens])).toEqual([
      ['random llama 1M on CPU > concurrency sweep [load.concurrency=1]', 'completed', 16, 0, 16 * 48],
      ['random llama 1M on CPU > concurrency sweep [load.concurrency=2]', 'completed', 16, 0, 16 * 48],
      ['random llama 1M on CPU > concurrency sweep [load.concurrency=4]', 'completed', 16, 0, 16 * 48],
      ['random llama 1M on CPU > greedy 64 tokens', 'completed', 16, 0, 16 * 64],
      ['random llama 25M, open-loop Poisson arrivals', 'completed', 8, 0, 8 * 32],
    ])

    const raw = read('raw')
    expect(raw).toHaveLength(9)
    // the idle baseline runs over the config's 3 s. On a busy host (anything else running on it)
    // it is refused as not idle, with the share it saw, and the next experiment tries again; once one
    // is measured the later experiments reuse it. The cache started empty: no reuse without a fresh one
    const method = (m: string) => raw.filter((p) => p.energy_breakdown.baseline_method === m)
    expect(method('fresh').length).toBeLessThanOrEqual(1)
    expect(method('fresh').length + method('cached').length + method('unavailable').length).toBe(9)
    for (const p of [...method('fresh'), ...method('unavailable')]) {
      expect(p.energy_breakdown.baseline_duration_sec).toBeGreaterThanOrEqual(2.9)
      expect(p.energy_breakdown.baseline_duration_sec).toBeLessThan(4)
    }
    for (const p of method('unavailable')) {
      const busy = /not idle during the baseline: the host CPUs were ([\d.]+)% busy/.exec(p.measurement_methodology.baseline)
      expect(Number(busy?.[1]), p.measurement_methodology.baseline).toBeGreaterThanOrEqual(5)
    }
    if (method('cached').length > 0) expect(method('fresh')).toHaveLength(1)
    for (const p of method('cached')) expect(p.energy_breakdown.baseline_power_w).toBeCloseTo(method('fresh')[0].energy_breakdown.baseline_power_w, 9)

    for (const p of raw) {
      const w = p.warmup_result
      const lat: number[] = w.latency_per_output_token_ms
      expect(lat).toHaveLength(w.requests)
      if (p.experiment_name.startsWith('random llama 25M') || p.experiment_name.startsWith('random llama 1M,')) {
        // the 25M bench and the workload examples ask for a fixed warmup of 2
        expect([w.mode, w.requests]).toEqual(['fixed', 2])
        continue
      }
      // the default CV warmup: at least 5 requests, the CV of the last 5 under 0.05 stops it at the
      // first request where it is, else it stops at the config's cap of 20
      expect([w.mode, w.target_cv, w.window]).toEqual(['cv', 0.05, 5])
      const settled = Array.from({ length: 16 }, (_, i) => i + 5).find((n) => cv(lat.slice(n - 5, n)) < 0.05)
      expect(w.requests, p.experiment_name).toBe(settled ?? 20)
      expect(w.converged).toBe(settled !== undefined)
      expect(w.final_cv).toBeCloseTo(cv(lat.slice(w.requests - 5, w.requests)), 9)
    }
  }, 300_000)
})
