/**
 * The measured window's power sampler runs on its own thread: a client that holds the main event
 * loop for 200 ms (a backend callback busy for 200 ms, as thousands of SSE streams can be) does not
 * delay a sample. The truth is the scenario's: the backend blocks the loop once, for 200 ms, and
 * writes when (wall clock); the probe reads nothing but the time. With the sampler on its thread the
 * timeline's gaps stay within 1 ms of the 10 ms interval (p99) and samples fall inside the block;
 * with a probe that cannot be sampled from a thread the sampler shares the loop, and the same block
 * leaves a gap of about 200 ms: what the first case would show without the thread.
 *
 * No thread is on time when the machine has more runnable threads than cores (a test suite on two
 * cores, a shared VM): the OS then wakes any sleeper late, by up to several ms. Two control threads
 * in this process sleep to the same 10 ms targets over the same window; their pooled deviations are
 * the machine's own wake-up noise (its p99 was 0.7-3.8 ms on the 2-core CI VM, idle or loaded; about
 * 0.1 ms on a quiet machine). Over ~260 intervals a p99 is the 3rd-worst value, one draw of a heavy
 * tail, so two p99s are not compared. Instead: the sampler's typical interval is as close to its
 * target as the control's (median deviation within 0.3 ms of the control's: a sampler that wakes
 * 0-3 ms late at random has a median of ~0.9 ms and fails), and few of its intervals (at most 5%; 1%
 * expected) stray more than 1 ms past the control's p99. Measured on the CI VM with two busy loops
 * beside it: 0-10 of ~265 intervals strayed, medians 0 vs 0.01 ms.
 */
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { csvRecords } from './fixtures/parse-csv.js'
import { makeProject, runCli } from './fixtures/project.js'
import { maxOf } from '../core/stats/extent.js'

const INTERVAL_MS = 10
const BLOCK_MS = 200

const meter = (extra: string) => `export default {
  name: 'clock-meter',${extra}
  async available() { return { available: true, reason: 'a clock is always there' } },
  async open() {
    const t0 = performance.now()
    return {
      probe: 'clock-meter', method: 'integrated_power', confidence: 'high',
      readEnergy: () => [{ domain: 'meter', kind: 'cpu', energy_j: (10 * (performance.now() - t0)) / 1000 }],
      sample: () => ({ meter_power_w: 10 }), describe: () => ({}), warnings: () => [], close() {},
    }
  },
}
`

// every request: 5 tokens 20 ms apart; the 5th call (the 4th measured request, after one warmup
// request) first holds the event loop for BLOCK_MS, and writes when it did (wall clock)
const BACKEND = `import { writeFileSync } from 'node:fs'
let calls = 0
export default {
  name: 'blocking',
  async start() {
    return {
      backendVersion: '1', latencyMode: 'TRUE_STREAMING', software: {}, settings: {},
      model: { name: 'none', path: null, file_size_mb: null, parameters: null, architecture: null, shape: null, precision: null },
      tokenizer: { tokenize: (t) => t.split(' ').map((_, i) => i), detokenize: (t) => t.map(() => 'w').join(' ') },
      async generate(request, sink) {
        if (++calls === 5) {
          const from = Date.now()
          const until = performance.now() + ${BLOCK_MS}
          while (performance.now() < until) {}
          writeFileSync('block.json', JSON.stringify({ from, to: Date.now() }))
        }
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 20))
          sink.onTokens(1, performance.now())
        }
        return { inputTokens: 3, outputTokens: 5, finishReason: 'length' }
      },
      async close() {},
    }
  },
}
`

async function run(probeExtra: string) {
  const dir = makeProject({
    'llem.config.ts': `export default {
  include: ['benchmarks/**/*.bench.ts'],
  probes: ['./plugins/clock-meter.ts'],
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: ${INTERVAL_MS}, headlineWindow: 'total' },
}
`,
    'plugins/clock-meter.ts': meter(probeExtra),
    'plugins/blocking-backend.ts': BACKEND,
    'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('blocked', { backend: './plugins/blocking-backend.ts', dataset: { prompts: ['a b c'] }, load: { requests: 24, concurrency: 1 }, generation: { maxTokens: 5 } })\n",
  })
  const r = await runCli(dir, ['bench'])
  expect(r.code, r.stderr).toBe(0)
  const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
  const aggDir = path.join(runDir, 'aggregated')
  const agg = JSON.parse(readFileSync(path.join(aggDir, readdirSync(aggDir)[0]), 'utf8'))
  const proc = agg.process_results[0]
  const t = csvRecords(readFileSync(path.join(runDir, proc.timeseries_path), 'utf8')).records.map((rec) => Number(rec.t_sec) * 1000)
  const block = JSON.parse(readFileSync(path.join(dir, 'block.json'), 'utf8')) as { from: number; to: number }
  // the block on the window's clock (ms from its start)
  const from = block.from - proc.measured_window.start_unix_ms
  const to = block.to - proc.measured_window.start_unix_ms
  // the last gap ends at the closing read, when the load ended: not a timer's gap
  const gaps = t.slice(1, -1).map((x, i) => x - t[i])
  return { methodology: agg.measurement_methodology ?? proc.measurement_methodology, proc, t, gaps, from, to }
}

/** a thread in this process sleeping to 10 ms targets until stopped: the machine's own wake-up noise,
 *  as gaps between wake-ups, each with its wall-clock time (ms) */
function startControl(): () => Promise<{ at: number; gap: number }[]> {
  const stop = new Int32Array(new SharedArrayBuffer(4))
  const w = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads')
    const stop = new Int32Array(workerData)
    const gaps = []
    const origin = performance.now()
    let last = origin
    let k = 1
    while (Atomics.load(stop, 0) === 0) {
      const rest = origin + k * ${INTERVAL_MS} - performance.now()
      if (rest > 0) Atomics.wait(stop, 0, 0, rest)
      const now = performance.now()
      gaps.push({ at: performance.timeOrigin + now, gap: now - last })
      last = now
      k = Math.max(k + 1, Math.ceil((now - origin) / ${INTERVAL_MS}))
    }
    parentPort.postMessage(gaps.slice(0, -1))`,
    { eval: true, workerData: stop.buffer },
  )
  return async () => {
    Atomics.store(stop, 0, 1)
    Atomics.notify(stop, 0)
    const [gaps] = (await once(w, 'message')) as [{ at: number; gap: number }[]]
    await w.terminate()
    return gaps
  }
}

const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const r = 0.99 * (s.length - 1)
  const lo = Math.floor(r)
  return s[lo] + (r - lo) * ((s[lo + 1] ?? s[lo]) - s[lo])
}

describe('the power sampler on its own thread', () => {
  it('a client holding the loop for 200 ms: samples keep their 10 ms spacing within 1 ms (p99), inside the block too', { timeout: 60_000, retry: 1 }, async () => {
    const controls = [startControl(), startControl()]
    const { methodology, proc, t, gaps, from, to } = await run('')
    const window = proc.measured_window as { start_unix_ms: number; end_unix_ms: number }
    const control = (await Promise.all(controls.map((stop) => stop()))).flat().filter((c) => c.at > window.start_unix_ms && c.at <= window.end_unix_ms)
    expect(control.length).toBeGreaterThan(300)
    const noise = p99(control.map((c) => Math.abs(c.gap - INTERVAL_MS)))
    expect(methodology.sampler).toBe('worker-thread')
    expect(to - from).toBeGreaterThanOrEqual(BLOCK_MS - 2)
    // the block lies inside the window, and the thread kept sampling through it
    expect(from).toBeGreaterThan(0)
    expect(to).toBeLessThan(t[t.length - 1])
    // samples went on through the block (on the loop there would be none in it, and one ~200 ms gap)
    expect(t.filter((x) => x > from && x < to).length).toBeGreaterThanOrEqual((to - from) / INTERVAL_MS / 2)
    const across = gaps.filter((g, i) => t[i + 1] > from && t[i] < to)
    expect(maxOf(across)).toBeLessThan(BLOCK_MS / 2)
    expect(gaps.length).toBeGreaterThan(180)
    const deviations = gaps.map((g) => Math.abs(g - INTERVAL_MS))
    const jitter = p99(deviations)
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
    // the typical interval on target as an idle sleeper's is (the timeline's times have 0.1 ms steps)
    expect(median(deviations)).toBeLessThan(median(control.map((c) => Math.abs(c.gap - INTERVAL_MS))) + 0.3)
    // within 1 ms of the targets at p99, beyond the machine's own noise: few intervals stray further
    const strays = deviations.filter((d) => d > 1 + noise).length
    expect(strays / gaps.length, `${strays} of ${gaps.length} intervals; jitter p99 ${jitter.toFixed(2)} ms; the machine's own p99 ${noise.toFixed(2)} ms`).toBeLessThanOrEqual(0.05)
    // the figure the result reports is the same p99, over the same gaps
    expect(methodology.sample_interval_jitter_p99_ms).toBeCloseTo(jitter, 0)
    expect(methodology.sample_interval_max_gap_ms).toBeLessThan(BLOCK_MS / 2)
    expect(proc.measurement_warnings.join('\n')).not.toMatch(/power sampler stalled/)
    // one retry: a wake-up bound of 1 ms is at the mercy of whatever else the 2-core CI machine runs at
    // that moment (a clean-clone CI failed it once, 2026-12-07); a sampler on the blocked loop misses by
    // ~200 ms every time, so a retry cannot hide it
  })

  it('a probe that cannot be sampled from a thread: the sampler shares the loop, and the block leaves a ~200 ms gap, reported and warned of', async () => {
    const { methodology, gaps, proc } = await run('\n  sampleInThread: false,')
    expect(methodology.sampler).toBe('event-loop')
    expect(methodology.sampler_reason).toMatch(/sampleInThread: false/)
    expect(maxOf(gaps)).toBeGreaterThanOrEqual(BLOCK_MS - 5)
    // one stall among ~260 intervals is past the p99: the longest gap is what shows it, and is warned of
    expect(methodology.sample_interval_max_gap_ms).toBeGreaterThanOrEqual(BLOCK_MS - 5)
    expect(methodology.sample_interval_max_gap_ms).toBeCloseTo(maxOf(gaps), 0)
    expect(proc.measurement_warnings.join('\n')).toMatch(/power sampler (ran late|stalled).*event loop/)
  }, 60_000)
})
