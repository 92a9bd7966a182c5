/** The load runner: closed loop holds N in flight, open loop caps at concurrency, limits stop it. */
import { describe, expect, it } from 'vitest'
import { rampArrivals, runLoad, type LoadPlan } from '../core/measure/load-runner.js'
import { scriptedSession } from './fixtures/scripted-session.js'
import { maxOf } from '../core/stats/extent.js'

const prompts = [
  { id: 0, text: 'a b c', source: 'prompts[0]' },
  { id: 1, text: 'd e', source: 'prompts[1]' },
]
const plan = (p: Partial<LoadPlan>): LoadPlan => ({ concurrency: 1, rate: null, burstiness: 1, requests: 8, durationMs: null, seed: 0, maxTokens: 4, ...p })

describe('load patterns', () => {
  it('closed loop: exactly `concurrency` requests in flight, every request sent once', async () => {
    const { session, stats } = scriptedSession({ gapMs: 2 })
    const out = await runLoad(session, prompts, plan({ concurrency: 3, requests: 9 }))
    expect(out.requests.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
    expect(out.requests.map((r) => r.promptId)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0])
    expect(stats().maxInFlight).toBe(3)
    expect(out.requests.every((r) => r.outputTokens === 4 && r.chunkTimes.length === 4 && r.ok)).toBe(true)
  })

  it('concurrency 1 is sequential', async () => {
    const { session, stats } = scriptedSession({ gapMs: 1 })
    const out = await runLoad(session, prompts, plan({ requests: 4 }))
    expect(stats().maxInFlight).toBe(1)
    for (let i = 1; i < out.requests.length; i++) expect(out.requests[i].start).toBeGreaterThanOrEqual(out.requests[i - 1].end)
  })

  it('open loop at rate inf sends everything at once, capped by concurrency', async () => {
    const { session, stats } = scriptedSession({ gapMs: 2 })
    const out = await runLoad(session, prompts, plan({ rate: 'inf', concurrency: 4, requests: 8 }))
    expect(out.requests).toHaveLength(8)
    expect(stats().maxInFlight).toBe(4)
  })

  it('open loop at a finite rate spaces arrivals (mean gap about 1/rate)', async () => {
    const { session } = scriptedSession({ gapMs: 1 })
    const out = await runLoad(session, prompts, plan({ rate: 100, concurrency: 8, requests: 30, maxTokens: 1 }))
    const starts = out.requests.map((r) => r.start - out.windowStart)
    const span = starts[starts.length - 1] - starts[0]
    // 29 gaps at 10 ms mean; Poisson spread is wide, so only a loose check
    expect(span).toBeGreaterThan(100)
    expect(span).toBeLessThan(900)
  })

  it('duration stops sending new requests; in-flight ones finish', async () => {
    const { session } = scriptedSession({ gapMs: 5 })
    const out = await runLoad(session, prompts, plan({ requests: 1000, durationMs: 60, maxTokens: 4 }))
    expect(out.requests.length).toBeGreaterThan(0)
    expect(out.requests.length).toBeLessThan(10)
    expect(out.requests.every((r) => r.ok)).toBe(true)
  })

  it('a failing request is recorded with its reason and does not stop the others', async () => {
    const { session } = scriptedSession({ gapMs: 1, failEvery: 3 })
    const out = await runLoad(session, prompts, plan({ requests: 6 }))
    const failed = out.requests.filter((r) => !r.ok)
    expect(failed).toHaveLength(2)
    expect(failed[0].error).toBe('scripted failure')
  })

  it('ramp-up, closed loop: lanes join one by one over the ramp, then all N stay in flight', async () => {
    const { session, stats } = scriptedSession({ gapMs: 5 })
    const out = await runLoad(session, prompts, plan({ concurrency: 4, requests: 120, rampUpMs: 300 }))
    // in flight at time t (ms from the window start): lane k joins at k/4 of the ramp
    const at = (t: number) => out.requests.filter((r) => r.start - out.windowStart <= t && r.end - out.windowStart > t).length
    expect(maxOf([10, 40, 60].map(at))).toBe(1)
    expect(maxOf([90, 120, 140].map(at))).toBeLessThanOrEqual(2)
    expect(maxOf([165, 200, 215].map(at))).toBeLessThanOrEqual(3)
    // lanes can only join late, never early: after the ramp all four are in flight (sampled, for a busy machine)
    expect(maxOf([330, 360, 400, 450, 500].map(at))).toBe(4)
    expect(stats().maxInFlight).toBe(4)
    expect(out.requests).toHaveLength(120)
  })

  it('ramp-up, open loop: the arrival rate rises linearly, then holds', () => {
    // full-rate offsets every 10 ms; with a 1000 ms ramp, arrivals bunch up later in the ramp
    const full = Array.from({ length: 200 }, (_, i) => i * 10)
    const ramped = rampArrivals(full, 1000)
    const inFirstHalf = ramped.filter((t) => t < 500).length
    const inSecondHalf = ramped.filter((t) => t >= 500 && t < 1000).length
    // expected arrivals by t: rate*t^2/(2*ramp): 12.5 in the first half, 37.5 in the second at 100/s
    expect(inFirstHalf).toBeGreaterThanOrEqual(12)
    expect(inFirstHalf).toBeLessThanOrEqual(14)
    expect(inSecondHalf).toBeGreaterThanOrEqual(36)
    expect(inSecondHalf).toBeLessThanOrEqual(39)
    // after the ramp the gaps are the full-rate ones again
    const after = ramped.filter((t) => t > 1100)
    expect(after[1] - after[0]).toBeCloseTo(10)
    expect(ramped).toEqual([...ramped].sort((a, b) => a - b))
    expect(rampArrivals(full, 0)).toBe(full)
  })
})
