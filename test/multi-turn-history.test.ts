/**
 * Multi-turn conversations through the real OpenAI client against a scripted chat server: each turn
 * carries the earlier user turns and exactly the replies the server sent (quotes, newlines and
 * non-ASCII text included), the next turn waits the think time after the reply ended, and load
 * counts conversations: closed loop keeps `concurrency` conversations in flight, open loop's cap is
 * on conversations too.
 */
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLoad } from '../core/measure/load-runner.js'
import type { DatasetPrompt } from '../core/workload/dataset.js'
import { openaiSession } from '../plugins/backends/openai/index.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

type Message = { role: string; content: string }
/** what the server saw and did, per request, in arrival order */
const seen: { messages: Message[]; reply: string; arrivedAt: number; lastSendAt: () => number }[] = []
let server: SseServer

beforeAll(async () => {
  server = await startSseServer((body) => {
    const n = seen.length
    // a reply the history must carry byte for byte: a quote, a newline, a backslash and non-ASCII
    const pieces = [`r${n} `, 'says "hi"\n', 'naïve\\ ', `ünd ${n}`]
    const index = server.sendTimes.length
    seen.push({ messages: body.messages as Message[], reply: pieces.join(''), arrivedAt: performance.timeOrigin + performance.now(), lastSendAt: () => server.sendTimes[index].at(-1)! })
    return { pieces, gapMs: 5 }
  })
})
afterAll(() => server.close())

const conversations: DatasetPrompt[] = [
  { id: 0, text: 'a1', source: 'c[0]', turns: [{ text: 'a1' }, { text: 'a2' }, { text: 'a3' }] },
  { id: 1, text: 'b1', source: 'c[1]', turns: [{ text: 'b1' }, { text: 'b2' }] },
]
const generation = { maxTokens: 8, temperature: 0, topP: 1, topK: 0, seed: 0, ignoreEos: true }
const plan = { burstiness: 1, durationMs: null, seed: 0, maxTokens: 8 }

/** the requests of the conversation that starts with `first`, in the order the server got them */
const turnsOf = (first: string) => seen.filter((s) => s.messages[0].content === first)

describe('a conversation sent turn by turn', () => {
  it('each turn carries the earlier turns and the replies the server actually sent, and waits the think time', async () => {
    seen.length = 0
    const session = await openaiSession({ baseURL: server.url, endpoint: 'chat' }, { model: 'scripted', generation, log: () => {} })
    expect(session.conversations).toBe(true)
    const out = await runLoad(session, conversations, { ...plan, concurrency: 2, rate: null, requests: 2, thinkTimeMs: 150 })
    expect(seen).toHaveLength(5)
    for (const [first, users] of [['a1', ['a1', 'a2', 'a3']], ['b1', ['b1', 'b2']]] as const) {
      const turns = turnsOf(first)
      expect(turns).toHaveLength(users.length)
      turns.forEach((t, k) => {
        const expected: Message[] = []
        for (let j = 0; j < k; j++) expected.push({ role: 'user', content: users[j] }, { role: 'assistant', content: turns[j].reply })
        expected.push({ role: 'user', content: users[k] })
        expect(t.messages).toEqual(expected)
        // the next turn left the client 150 ms after the reply's last chunk left the server (not
        // before it; later by at most the loopback trip and timer lateness under a loaded machine)
        if (k > 0) {
          const gap = t.arrivedAt - turns[k - 1].lastSendAt()
          expect(gap).toBeGreaterThanOrEqual(150 - 2)
          expect(gap).toBeLessThan(150 + 120)
        }
      })
    }
    // records: one per turn, the conversation's index shared, turns numbered from 1
    expect(out.requests.map((r) => [r.index, r.turn, r.thinkMs])).toEqual([[0, 1, 0], [0, 2, 150], [0, 3, 150], [1, 1, 0], [1, 2, 150]])
    expect(out.requests.every((r) => r.ok)).toBe(true)
  })

  it('closed loop at concurrency 1 runs one conversation at a time: the next starts after the last reply', async () => {
    seen.length = 0
    const session = await openaiSession({ baseURL: server.url, endpoint: 'chat' }, { model: 'scripted', generation, log: () => {} })
    await runLoad(session, conversations, { ...plan, concurrency: 1, rate: null, requests: 2 })
    expect(seen.map((s) => s.messages.at(-1)!.content)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2'])
    expect(turnsOf('b1')[0].arrivedAt).toBeGreaterThanOrEqual(turnsOf('a1')[2].lastSendAt())
  })

  it('open loop: the cap counts conversations in flight, and a later turn is due at the reply end plus think time', async () => {
    seen.length = 0
    const session = await openaiSession({ baseURL: server.url, endpoint: 'chat' }, { model: 'scripted', generation, log: () => {} })
    const out = await runLoad(session, conversations, { ...plan, concurrency: 1, rate: 'inf', requests: 2, thinkTimeMs: 40 })
    // both conversations arrive at once; with a cap of 1 the second waits for the whole first one
    expect(seen.map((s) => s.messages.at(-1)!.content)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2'])
    const b1 = out.requests.find((r) => r.index === 1 && r.turn === 1)!
    const a3 = out.requests.find((r) => r.index === 0 && r.turn === 3)!
    expect(b1.scheduled).toBe(out.windowStart)
    expect(b1.waitedForCap).toBe(true)
    expect(b1.start).toBeGreaterThanOrEqual(a3.end)
    // a later turn's schedule is the previous reply's end plus 40 ms, and it is sent then
    const a2 = out.requests.find((r) => r.index === 0 && r.turn === 2)!
    const a1 = out.requests.find((r) => r.index === 0 && r.turn === 1)!
    expect(a2.scheduled! - a1.end).toBeGreaterThanOrEqual(40 - 1)
    expect(a2.scheduled! - a1.end).toBeLessThan(40 + 20)
    expect(a2.start - a2.scheduled!).toBeGreaterThanOrEqual(-1)
  })

  it('the completions endpoint cannot carry a history: the session says so', async () => {
    const session = await openaiSession({ baseURL: server.url }, { model: 'scripted', generation, log: () => {} })
    expect(session.conversations).toBe(false)
  })
})
