/**
 * Energy per prefill and per decode token end to end on a real llama-server (issue 17, item 10): short
 * and long prompts, two slots, a 4 s window of slices. With no GPU here the energy is the host's CPU
 * (RAPL where readable, else the cpu-estimate model of utilisation): the fit then splits that energy,
 * so the test holds it to what must hold whatever the meter: every token counted where the fit says,
 * and figures that are either physically possible with their intervals, or null with a reason.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, runCli } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

// a few tokens and about 400 (within the 1024-token context of a slot): prefill costs two orders of magnitude apart
const LONG = Array.from({ length: 80 }, (_, i) => `word${i % 17}`).join(' ')
// in blocks (the load cycles through them in order): stretches of short prompts, then of long ones,
// each a few slices long, so the mix of prefill and decode tokens changes from slice to slice
const PROMPTS = [...Array.from({ length: 60 }, (_, i) => `Hi ${i}`), ...Array.from({ length: 30 }, () => LONG)]

describe('energy per prefill and per decode token on llama-server', () => {
  it('prefill_decode_energy: every prompt and decode token counted, figures plausible or null with the reason', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default {
  measurement: { baseline: { seconds: 0.5 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 16 },
  reporters: ['json'],
}
`,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'
bench('mix', { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN'))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', extraBody: { cache_prompt: false } }, model: { path: process.env.TINY_MODEL },
  dataset: { prompts: ${JSON.stringify(PROMPTS)} }, load: { concurrency: 2, requests: 100000, duration: 4 } })
`,
    })
    const r = await runCli(dir, ['bench'], { LLAMA_SERVER_BIN: bin, TINY_MODEL: model })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const root = path.join(dir, 'llem-results')
    const runDir = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
    const agg = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8')).results[0]
    const raw = agg.process_results[0]
    const f = raw.prefill_decode_energy
    expect(agg.prefill_decode_energy).toEqual(f)
    // a 4 s window in slices of at least 250 ms
    expect(f.fit.slices).toBeGreaterThanOrEqual(10)
    expect(f.fit.slice_ms * f.fit.slices).toBeCloseTo(raw.energy_metrics.duration_sec * 1000, 3)
    // the load ends inside the window: every streamed request's prompt is a prefill, and every output
    // token after its first a decode token (ignore_eos: 16 each)
    const ok = raw.requests.filter((q: { ok: boolean; ttft_ms: number | null }) => q.ok && q.ttft_ms !== null)
    expect(ok.length).toBeGreaterThan(10)
    expect(f.fit.prefill_tokens).toBe(ok.reduce((n: number, q: { input_tokens: number }) => n + q.input_tokens, 0))
    expect(f.fit.decode_tokens).toBe(ok.length * 15)
    expect(f.idle_source).toBe(raw.energy_breakdown.baseline_power_w === null ? 'fitted' : 'baseline')
    if (f.fit.reason_if_null === null) {
      // a resolved fit: each cost positive within its interval, which is narrower than the cost
      for (const [v, u] of [[f.energy_per_prefill_token_j, f.energy_per_prefill_token_uncertainty_j], [f.energy_per_decode_token_j, f.energy_per_decode_token_uncertainty_j]]) {
        expect(u).toBeGreaterThan(0)
        expect(u).toBeLessThan(Math.abs(v))
        expect(v + u).toBeGreaterThan(0)
      }
      // the tokens' share cannot exceed what the window drew above idle, beyond the fit's own error
      const above = raw.energy_metrics.total_energy_j - f.idle_power_w * raw.energy_metrics.duration_sec
      const tokensJ = f.energy_per_prefill_token_j * f.fit.prefill_tokens + f.energy_per_decode_token_j * f.fit.decode_tokens
      const slack = f.energy_per_prefill_token_uncertainty_j * f.fit.prefill_tokens + f.energy_per_decode_token_uncertainty_j * f.fit.decode_tokens
      expect(tokensJ).toBeLessThanOrEqual(above + slack)
      expect(f.fit.r2).toBeLessThanOrEqual(1)
    } else {
      expect(f.energy_per_prefill_token_j).toBeNull()
      expect(f.energy_per_decode_token_j).toBeNull()
      expect(f.fit.reason_if_null.length).toBeGreaterThan(20)
    }
    process.stdout.write(`prefill_decode_energy (${raw.energy_metrics.method}): ${JSON.stringify(f)}\n`)
  }, 300_000)
})
