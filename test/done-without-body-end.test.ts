/**
 * `data: [DONE]` ends the stream, whether or not the HTTP body ends with it. OpenAI's own Python
 * client stops at [DONE] and closes the response (openai-python, src/openai/_streaming.py), so a
 * server that sends [DONE] and leaves the body open has completed the request: it is recorded as
 * completed, timed to [DONE], never as a timeout. The body's end is waited for a moment (an HTTPS
 * keep-alive socket then goes back to its pool); a body still open after that is closed by the client
 * and noted once in the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openaiSession } from '../plugins/backends/openai/index.js'
import { streamCompletion } from '../plugins/backends/openai/sse-stream.js'
import { EXPERIMENT_DEFAULTS } from '../core/config/defaults.js'
import { bodies, startHostileServer, type HostileServer, type Scenario } from './fixtures/hostile-server.js'

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const SCENARIOS: Record<string, Scenario> = {
  // 4 tokens, usage, [DONE]; then nothing, the body never ends
  held: { body: bodies.tokensThenDone(4), after: 'hold' },
  // the same, and the body's end 300 ms after [DONE]
  'late end': {
    body: async (send) => {
      await bodies.tokensThenDone(4)(send)
      await sleep(300)
    },
  },
}

let plain: HostileServer
let secure: HostileServer
beforeAll(async () => {
  plain = await startHostileServer((p) => SCENARIOS[p.split(' #')[0]])
  secure = await startHostileServer((p) => SCENARIOS[p.split(' #')[0]], { tls: true })
})
afterAll(async () => {
  await plain.close()
  await secure.close()
})

async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) if (ok()) return true
  return ok()
}

describe.each([
  ['http', () => plain],
  ['https', () => secure],
])('[DONE] over %s', (_t, server) => {
  it.each([
    { prompt: 'held', note: true },
    { prompt: 'late end', note: false },
  ])('$prompt: the request completes at [DONE] with all its tokens; a note only when the body stays open', async ({ prompt, note }) => {
    const notes: string[] = []
    let tokens = 0
    const t0 = performance.now()
    const tag = `${prompt} #${Math.random()}`
    const out = await streamCompletion({ url: `${server().url}/completions`, body: { prompt: tag }, headers: {}, timeoutMs: 10_000, chat: false, onNote: (n) => notes.push(n) }, { onTokens: (n) => (tokens += n) })
    const resolvedAt = performance.now()
    const rec = server().served.find((s) => s.prompt === tag)!
    // resolved at [DONE]: before the server ended the body (300 ms later), long before the 10 s timeout
    expect(resolvedAt - t0).toBeLessThan(5000)
    if (!note) expect(rec.endedAt === undefined || resolvedAt < rec.endedAt).toBe(true)
    expect(out).toEqual({ promptTokens: 3, completionTokens: 4, chunkTokens: 4, finishReason: 'stop' })
    expect(tokens).toBe(4)
    // the connection is closed in the end either way
    expect(await until(() => rec.clientClosed)).toBe(true)
    await sleep(note ? 0 : 1100)
    expect(notes).toEqual(note ? ['the server sent [DONE] but left the HTTP body open for 1000 ms: llem closed the connection (the request counts as complete, timed to [DONE])'] : [])
  })
})

it('through the backend: each request completes, the note is logged once per experiment', async () => {
  const logs: string[] = []
  const session = await openaiSession({ baseURL: plain.url }, { generation: EXPERIMENT_DEFAULTS.generation, log: (l) => logs.push(l), model: 'hostile' })
  const sink = { onTokens() {} }
  const results = await Promise.all([1, 2, 3].map((i) => session.generate({ prompt: `held #${i}`, maxTokens: 4 }, sink)))
  expect(results.map((r) => [r.inputTokens, r.outputTokens, r.finishReason])).toEqual([
    [3, 4, 'stop'],
    [3, 4, 'stop'],
    [3, 4, 'stop'],
  ])
  expect(await until(() => logs.some((l) => l.includes('[DONE]')))).toBe(true)
  await sleep(200)
  expect(logs.filter((l) => l.includes('[DONE]'))).toEqual(['the server sent [DONE] but left the HTTP body open for 1000 ms: llem closed the connection (the request counts as complete, timed to [DONE]) (logged once per experiment)'])
})
