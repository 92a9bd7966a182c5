/**
 * Trace replay sends each request at its trace time times load.replay.timeScale, counted from the
 * window start, whatever the requests before it are doing. The truth is the scripted server's clock:
 * when each request reached it. Tolerance: never before its time, and at most 50 ms after it (a
 * loopback connect, and timer lateness on a loaded 2-core machine, where the client and this server
 * share one stalled process). Every wrong replay this scenario can show is later than that: a request
 * held for the one before it (each streams 150 ms) is 90 ms or more late, timeScale ignored puts the
 * third request 60 ms and the last 300 ms late, the first row's offset kept puts all 500 ms late.
 */
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLoad } from '../core/measure/load-runner.js'
import type { DatasetPrompt } from '../core/workload/dataset.js'
import { replayArrivalsMs } from '../core/workload/replay.js'
import { openaiSession } from '../plugins/backends/openai/index.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

const arrivals: { prompt: string; at: number; maxTokens: number }[] = []
let server: SseServer
beforeAll(async () => {
  server = await startSseServer((body) => {
    arrivals.push({ prompt: String(body.prompt), at: performance.timeOrigin + performance.now(), maxTokens: body.max_tokens as number })
    // each request streams for 150 ms: later trace times fall while earlier requests are still running
    return { gapMs: 30 }
  })
})
afterAll(() => server.close())

// trace times as written (ms), with two requests at the same instant and an offset first row
const TRACE_MS = [1000, 1000, 1120, 1300, 1310, 1600]
const prompts: DatasetPrompt[] = TRACE_MS.map((t, id) => ({ id, text: `p${id}`, source: `t:${id + 1}`, maxTokens: 5, arrivalMs: t }))
const generation = { maxTokens: 8, temperature: 0, topP: 1, topK: 0, seed: 0, ignoreEos: true }

describe('trace replay', () => {
  it('each request reaches the server at (its time - the first time) x timeScale after the window opens', async () => {
    const session = await openaiSession({ baseURL: server.url }, { model: 'scripted', generation, log: () => {} })
    // one request first, as a run's warmup does: the first connect and the code paths' first use are not the replay's
    await session.generate({ prompt: 'warm', maxTokens: 1 }, { onTokens() {} })
    arrivals.length = 0
    const due = replayArrivalsMs(prompts, prompts.length, 0.5)
    expect(due).toEqual([0, 0, 60, 150, 155, 300])
    const out = await runLoad(session, prompts, { concurrency: 16, rate: null, burstiness: 1, requests: prompts.length, durationMs: null, seed: 0, maxTokens: 8, arrivalsMs: due })
    expect(arrivals.map((a) => a.prompt)).toEqual(prompts.map((p) => p.text))
    const start = performance.timeOrigin + out.windowStart
    arrivals.forEach((a, i) => {
      const late = a.at - (start + due[i])
      expect(late, `request ${i}`).toBeGreaterThanOrEqual(0)
      expect(late, `request ${i}`).toBeLessThan(50)
    })
    // the client's own record of the schedule agrees: scheduled is the trace time, start the send
    out.requests.forEach((r, i) => expect(r.scheduled! - out.windowStart).toBeCloseTo(due[i], 6))
    expect(out.requests.every((r) => r.ok && r.waitedForCap === false)).toBe(true)
    expect(arrivals.every((a) => a.maxTokens === 5)).toBe(true)
  })

  it('more requests than the trace has is refused: a replay sends each row once', () => {
    expect(() => replayArrivalsMs(prompts, 7, 1)).toThrow('load.requests is 7, but the trace has 6 requests')
  })
})
