/**
 * load.profile 'sweep' through the CLI against a server of known capacity: 4 slots, each request
 * holding one for 5 ms of prefill + 9 gaps of 5 ms (10 tokens), so it serves at most 4 / 50 ms =
 * 80 requests/s (the exact figure is taken from the server's own log of slot times). The sweep's
 * 1-in-flight step runs at about 1 / 50 ms, its max-throughput step at the capacity; with
 * maxRateFactor 1.5 and 5 points its rates are spaced from the first up to 1.5 x the second, so two
 * lie above capacity (1.25x and 1.5x): those must be stopped early by the over-saturation check and
 * marked, while the ones at 0.5x and 0.75x run their whole duration unmarked.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { startSlotServer, type SlotServer } from './fixtures/slot-server.js'

let server: SlotServer
beforeAll(async () => {
  server = await startSlotServer({ slots: 4, prefillMs: 5, gapMs: 5 })
})
afterAll(() => server.close())

const DURATION = 1.5

describe('capacity sweep', () => {
  it('measures 1 in flight and max throughput, spaces the rates between, and stops the over-capacity ones early', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 50 } }\n`,
      // burstiness 20: nearly regular arrivals (gap CV 0.22), so below capacity the queue stays short
      'benchmarks/sweep.bench.ts': `import { bench } from 'llem'
bench('slots', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'slots', dataset: { prompts: ['a b c', 'd e f'] }, generation: { maxTokens: 10 },
  load: { profile: 'sweep', points: 5, maxRateFactor: 1.5, concurrency: 16, requests: 1000, duration: ${DURATION}, burstiness: 20, saturation: { windowSec: 0.5 } } })
`,
    })
    const list = await runCli(dir, ['list'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toContain('slots [sweep 1/7: 1 in flight]')
    expect(list.stdout).toMatch(/then max throughput .* 5 open-loop rates .* rates decided at run time/)

    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const runs = readdirSync(path.join(dir, 'llem-results')).sort()
    const runDir = path.join(dir, 'llem-results', runs[runs.length - 1])
    const aggs = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
    const steps = aggs.filter((a) => a.series?.kind === 'capacity-sweep').sort((a, b) => a.series.step - b.series.step)
    expect(steps.map((a) => a.series.step)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(steps.every((a) => a.status === 'completed')).toBe(true)

    // the server's truth, step by step: the steps run one after another, each waiting for its last
    // request, so the server's log (in order of completion) is the steps' requests in step order; each
    // step is judged against how long its own requests really held a slot (a saturated step's late
    // timers lengthen its holds, not the 1-in-flight step's)
    expect(server.log.length).toBe(steps.reduce((s, a) => s + a.num_requests, 0))
    let from = 0
    const served = steps.map((a) => server.log.slice(from, (from += a.num_requests)))
    const holdOf = (log: typeof server.log) => log.reduce((s, q) => s + (q.doneMs - q.slotMs), 0) / log.length / 1000
    const capacityOf = (k: number) => 4 / holdOf(served[k])
    const sync = steps[0].requests_per_second
    const max = steps[1].requests_per_second
    // 1 in flight: the server never had two at once, and the step ran them back to back (its rate is
    // one over its requests' own hold, less only the client's turnaround between them)
    expect(served[0].every((q) => q.busy === 0)).toBe(true)
    const syncHold = holdOf(served[0])
    expect(sync).toBeGreaterThan(0.85 / syncHold)
    expect(sync).toBeLessThanOrEqual(1 / syncHold)
    expect(Math.abs(max - capacityOf(1)) / capacityOf(1)).toBeLessThan(0.1)
    expect(steps[1].series.rate).toBe('inf')

    // rates evenly spaced from the measured synchronous rate to 1.5 x the measured max throughput
    const rates = steps.slice(2).map((a) => a.series.rate)
    rates.forEach((rate, k) => expect(rate).toBeCloseTo(sync + ((k + 1) * (1.5 * max - sync)) / 5, 6))
    expect(steps[2].experiment_name).toBe(`slots [sweep 3/7: rate ${rates[0].toFixed(1)}/s]`)
    expect(steps[2].series.reason).toContain('1/5 of the way to 1.5 x max')

    for (const a of steps.slice(2)) {
      const load = a.series.rate / capacityOf(a.series.step - 1)
      const sat = a.over_saturation
      if (load < 0.8) {
        expect(sat.over_saturated, `${a.experiment_name} at ${load.toFixed(2)} x capacity`).toBe(false)
        expect(a.total_inference_time_sec).toBeGreaterThan(DURATION)
      } else if (load > 1.2) {
        expect(sat.over_saturated, `${a.experiment_name} at ${load.toFixed(2)} x capacity`).toBe(true)
        expect(sat.detected_at_sec).toBeLessThan(DURATION)
        expect(sat.queue_growth_per_sec).toBeGreaterThan(0)
        expect(a.measurement_warnings.join('\n')).toMatch(/^over-saturated: /m)
        // fewer requests were sent than the rate would have sent over the whole duration
        expect(a.num_requests).toBeLessThan(a.series.rate * DURATION)
      }
    }
    // the manifest records every step and how its load was decided; series.json the outcome
    const manifest = JSON.parse(readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
    expect(manifest.experiments.filter((e: { series?: unknown }) => e.series).length).toBe(7)
    expect(manifest.series[0].kind).toBe('capacity-sweep')
    expect(manifest.series[0].max_throughput_rate).toBe(max)
    expect(r.stderr).toMatch(/capacity sweep of slots: .*over-saturated \(stopped early\) at/)
  }, 90_000)
})
