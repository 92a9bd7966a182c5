/**
 * A capacity sweep end to end through `llem bench` on the real llama-server (the managed `server`
 * backend, 4 slots, the 25M random llama): 1 in flight, every request at once up to 8 in flight, then
 * 2 open-loop rates up to 3 x the measured max throughput. Every step completes with its J/token;
 * the max throughput is above the 1-in-flight rate (four slots serve at once); the rates are spaced from
 * the two measured ends; the top rate, three times the server's measured capacity, is stopped early by
 * the over-saturation check and marked.
 *
 * Why 3 and not 1.5: the max step runs for 3 s on a 2-core machine shared with the rest of the suite,
 * so its figure can fall well short of what the server does a moment later (CI once measured a max
 * that the 1.5 x step's server kept up with but for ~5 requests a second, under the rule's rise). At
 * 3 x, the queue grows at twice the measured capacity, past capacity even when the max step was
 * measured at half of the truth.
 *
 * Why the 25M llama on 4 slots and not the 1M one on 2: the max step must beat the 1-in-flight step,
 * two figures measured seconds apart on a shared machine. The 1M llama decodes in a fraction of a ms,
 * so each request's time is the HTTP client's and server's own work, which more slots do not share
 * out: CI measured 1 in flight 404/s against a max of 428/s (6% apart; 319/427, 349/469, 349/508 in
 * other runs). The 25M llama spends ~6 ms a token on its one thread, and a batch of 4 sequences costs
 * little more than one (llama-server at 1 and 4 in flight: 149 and 261 tokens/s, docs/validation.md),
 * so the max step is ~1.7 x the 1-in-flight one by the server's physics: a busy moment has to cut it
 * by ~40% to fail the check, not by 6%. A sweep whose max step did not run several in flight still
 * measures about the 1-in-flight rate there and fails it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureRandomModel } from '../plugins/backends/llama-cpp/random-model.js'
import { llamaServerCommand, llamaServerPath } from './fixtures/llama-server.js'
import { makeProject, QUICK_CONFIG, runCli, TEST_CACHE } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = (await ensureRandomModel('llama-25m', path.join(TEST_CACHE, 'models'))).path
}, 1_800_000)

const DURATION = 3
const FACTOR = 3

describe('capacity sweep on llama-server', () => {
  it('runs 1 in flight, max throughput and two rates, and stops the one past capacity early', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/s.bench.ts': `import { bench } from 'llem'
bench('sweep', { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN', 4))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny' }, model: { path: process.env.TINY_MODEL },
  dataset: { prompts: ['the weather today', 'a short story about a cat'] }, generation: { maxTokens: 8 },
  load: { profile: 'sweep', points: 2, maxRateFactor: ${FACTOR}, concurrency: 8, requests: 100000, duration: ${DURATION}, saturation: { windowSec: 1 } } })
`,
    })
    const r = await runCli(dir, ['bench'], { LLAMA_SERVER_BIN: bin, TINY_MODEL: model }, { timeoutMs: 300_000 })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
    const steps = readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8'))).sort((a, b) => a.series.step - b.series.step)
    expect(steps.map((a) => [a.series.step, a.status])).toEqual([[1, 'completed'], [2, 'completed'], [3, 'completed'], [4, 'completed']])
    for (const a of steps) expect(a.avg_energy_per_token_j, a.experiment_name).toBeGreaterThan(0)
    const sync = steps[0].requests_per_second
    const max = steps[1].requests_per_second
    expect(max).toBeGreaterThan(sync)
    expect(steps[2].series.rate).toBeCloseTo(sync + (FACTOR * max - sync) / 2, 6)
    expect(steps[3].series.rate).toBeCloseTo(FACTOR * max, 6)
    const top = steps[3]
    expect(top.over_saturation.over_saturated, JSON.stringify(top.over_saturation)).toBe(true)
    expect(top.over_saturation.detected_at_sec).toBeLessThan(DURATION)
    expect(steps[0].experiment_name).toBe('sweep [sweep 1/4: 1 in flight]')
    const manifest = JSON.parse(readFileSync(path.join(run, 'manifest.json'), 'utf8'))
    expect(manifest.series[0].points).toHaveLength(4)
    console.log(`llama-server sweep: 1 in flight ${sync.toFixed(1)}/s, max ${max.toFixed(1)}/s, rates ${steps.slice(2).map((a) => `${a.series.rate.toFixed(1)}/s${a.over_saturation.over_saturated ? ` (stopped at ${a.over_saturation.detected_at_sec.toFixed(1)} s)` : ''} ${a.requests_per_second.toFixed(1)}/s served`).join(', ')}; J/token ${steps.map((a) => a.avg_energy_per_token_j.toPrecision(3)).join(', ')}`)
  }, 400_000)
})
