/** The load runner: closed loop holds N in flight, open loop caps at concurrency, limits stop it. */
import { describe, expect, it } from 'vitest'
import { runLoad, type LoadPlan } from '../core/measure/load-runner.js'
import { scriptedSession } from './fixtures/scripted-session.js'

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
})
