/**
 * load.clientThreads: the same workload against the scripted server (each request's first-token delay
 * and token gap scripted, every send stamped by the server on the epoch clock) on one client thread and
 * on two. Both must see every request and token the server sent, and stamp each chunk within a few ms
 * after the server wrote it (the server runs on a thread of its own and stamps on the same epoch clock):
 * a stamp before its send is impossible, and one off by a wrong time origin would be far out. A
 * main thread blocked for 150 ms mid-load shows where the stamps are taken: on one thread they are late
 * by up to that much, on two they are not.
 */
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPERIMENT_DEFAULTS } from '../core/config/defaults.js'
import { runLoad, type LoadOutcome, type LoadPlan } from '../core/measure/load-runner.js'
import { openaiBackend } from '../plugins/backends/openai/index.js'
import { scriptedSession } from './fixtures/scripted-session.js'
import { scriptedPrompts } from './fixtures/timed-sse-server.js'
import { startTimedServerThread, type ThreadedTimedServer } from './fixtures/timed-sse-server-thread.js'
import { maxOf, minOf } from '../core/stats/extent.js'

const N = 24
const TOKENS = 12
/** how long after the server's write a chunk is stamped, typically: loopback and one read take well
 *  under 1 ms; the median leaves room for a busy 2-core test machine (load average 8 while this was
 *  written), whose stalls of tens of ms now and then, on either thread count, are why no single chunk is
 *  held to it */
const TYPICAL_LATE_MS = 15
/** two runs' TTFT or E2E medians: each run's own noise (a stall of either) adds up */
const RUNS_APART_MS = 25
/** a stamp further off than this is not noise: a wrong clock (a worker's time origin is its own start) */
const WRONG_CLOCK_MS = 500
const prompts = scriptedPrompts(N).map((text, id) => ({ id, text, source: `prompts[${id}]` }))
const plan = (clientThreads: number): LoadPlan => ({ concurrency: 8, rate: null, burstiness: 1, requests: N, durationMs: null, seed: 0, maxTokens: TOKENS, clientThreads })

let server: ThreadedTimedServer
beforeAll(async () => void (server = await startTimedServerThread()))
afterAll(() => server.close())

async function load(clientThreads: number, during?: () => void) {
  await server.takeLog()
  const session = await openaiBackend.start({ options: { baseURL: `${server.origin}/v1` }, model: 'scripted', generation: { ...EXPERIMENT_DEFAULTS.generation }, concurrency: 8, cacheDir: '/tmp', baseDir: '/tmp', log: () => {} })
  // `during` runs 60 ms after the first request is sent, whatever the client threads took to start
  let timer: NodeJS.Timeout | undefined
  const generate = session.generate.bind(session)
  session.generate = (req, sink) => {
    if (during && timer === undefined) timer = setTimeout(during, 60)
    return generate(req, sink)
  }
  const out = await runLoad(session, prompts, plan(clientThreads))
  clearTimeout(timer)
  return { out, truth: new Map((await server.takeLog()).map((t) => [t.prompt, t])) }
}

/** each chunk's stamp (epoch ms) minus the server's write of it, over every request */
function lateness(out: LoadOutcome, truth: Awaited<ReturnType<typeof load>>['truth']): number[] {
  return out.requests.flatMap((r) => {
    const sent = truth.get(prompts[r.index].text)!.chunkMs
    return r.chunkTimes.map((t, i) => performance.timeOrigin + t - sent[i])
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

describe('load.clientThreads', () => {
  it('one thread and two: every request and token, each chunk stamped just after the server sent it', async () => {
    const one = await load(1)
    const two = await load(2)
    for (const { out, truth } of [one, two]) {
      expect(out.requests).toHaveLength(N)
      expect(truth.size).toBe(N)
      for (const r of out.requests) {
        expect(r.ok).toBe(true)
        expect(r.outputTokens).toBe(TOKENS)
        expect(r.chunkTimes).toHaveLength(TOKENS)
        // the request's end is the last event's read: after the server wrote [DONE]
        expect(performance.timeOrigin + r.end).toBeGreaterThanOrEqual(truth.get(prompts[r.index].text)!.doneMs - 0.01)
      }
      const late = lateness(out, truth)
      expect(late).toHaveLength(N * TOKENS)
      // no chunk is stamped before the server sent it, nor implausibly late
      expect(minOf(late)).toBeGreaterThanOrEqual(-0.01)
      expect(maxOf(late)).toBeLessThan(WRONG_CLOCK_MS)
      expect(median(late)).toBeLessThan(TYPICAL_LATE_MS)
    }
    expect(one.out.clientThreads ?? null).toBeNull()
    expect(two.out.clientThreads!.count).toBe(2)
    expect(two.out.clientThreads!.loopDelay.every((d) => d !== null)).toBe(true)
    // the latency the client saw: each request's TTFT (from its send) no shorter than the server's
    // script (12 to 30 ms to the first token), and the two runs' distributions alike
    const ttft = (out: LoadOutcome) => out.requests.map((r) => r.chunkTimes[0] - r.start)
    const [a, b] = [ttft(one.out), ttft(two.out)]
    for (const [run, ttfts] of [[one, a], [two, b]] as const)
      for (let k = 0; k < N; k++) {
        // the request reached the server after the client sent it, so TTFT is at least the server's own
        const t = run.truth.get(prompts[k].text)!
        expect(ttfts[k]).toBeGreaterThanOrEqual(t.chunkMs[0] - t.recvMs - 0.01)
      }
    expect(Math.abs(median(a) - median(b))).toBeLessThan(RUNS_APART_MS)
    const e2e = (out: LoadOutcome) => out.requests.map((r) => r.end - r.start)
    expect(Math.abs(median(e2e(one.out)) - median(e2e(two.out)))).toBeLessThan(RUNS_APART_MS)
  })

  it('a main thread blocked for 150 ms: what the server sent meanwhile is stamped late on one thread, on time on two', async () => {
    let blockedAt = 0
    const block = () => {
      blockedAt = performance.timeOrigin + performance.now()
      const until = performance.now() + 150
      while (performance.now() < until);
    }
    // the server runs on a thread of its own: it goes on sending through the block
    const during = ({ out, truth }: Awaited<ReturnType<typeof load>>) =>
      out.requests.flatMap((r) => {
        const sent = truth.get(prompts[r.index].text)!.chunkMs
        return r.chunkTimes.flatMap((t, i) => (sent[i] > blockedAt + 10 && sent[i] < blockedAt + 140 ? [{ sent: sent[i], stamped: performance.timeOrigin + t, blockEnd: blockedAt + 150 }] : []))
      })
    const one = during(await load(1, block))
    const two = during(await load(2, block))
    expect(one.length).toBeGreaterThan(5)
    expect(two.length).toBeGreaterThan(5)
    // one thread cannot read anything before the block ends
    for (const c of one) expect(c.stamped).toBeGreaterThanOrEqual(c.blockEnd)
    // two stamp each as it comes, as if nothing were blocked
    expect(median(two.map((c) => c.stamped - c.sent))).toBeLessThan(TYPICAL_LATE_MS)
  })

  it('a backend with its own client refuses more than one thread: exit code 2, naming the option', async () => {
    const { session } = scriptedSession({ gapMs: 1 })
    const e = await runLoad(session, prompts, plan(2)).catch((x) => x)
    expect(e.exitCode).toBe(2)
    expect(e.message).toMatch(/load\.clientThreads = 2/)
  })
})
