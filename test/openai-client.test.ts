/**
 * The openai backend's streaming client against a scripted SSE server (a protocol peer): every chunk
 * stamped on arrival, usage preferred over chunk counts, several tokens per chunk counted as such,
 * and each failure (HTTP status, malformed SSE, reset connection, timeout) a clear, recorded error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { EXPERIMENT_DEFAULTS } from '../core/config/defaults.js'
import { sloAttainment, sloGoodput } from '../core/measure/build-metrics.js'
import { openaiBackend } from '../plugins/backends/openai/index.js'
import { startSseServer, type SseScript, type SseServer } from './fixtures/sse-server.js'

let server: SseServer | undefined
afterEach(async () => server?.close())

async function session(script: SseScript, options: Record<string, unknown> = {}) {
  server = await startSseServer(() => script)
  return openaiBackend.start({ options: { baseURL: server.url, ...options }, model: 'scripted', generation: { ...EXPERIMENT_DEFAULTS.generation }, concurrency: 1, cacheDir: '/tmp', baseDir: '/tmp', log: () => {} })
}

function collect() {
  const calls: [number, number][] = []
  return { calls, sink: { onTokens: (n: number, t: number) => calls.push([n, t]) } }
}

describe('openai streaming client', () => {
  it('stamps every chunk on arrival and takes token counts from usage', async () => {
    // the server sends a chunk, then waits 40 ms: 6 chunks over at least 200 ms
    const s = await session({ tokens: 6, gapMs: 40 })
    const { calls, sink } = collect()
    const r = await s.generate({ prompt: 'one two three', maxTokens: 6 }, sink)
    expect(r).toMatchObject({ inputTokens: 3, outputTokens: 6, finishReason: 'length' })
    expect(r.endMs).toBeGreaterThanOrEqual(calls[calls.length - 1][1])
    expect(calls.map((c) => c[0])).toEqual([1, 1, 1, 1, 1, 1])
    // each stamp after its chunk was sent (the server's own send times, on the same clock) and well
    // before the next was: stamped as it arrived, not when the response ended (a busy machine may
    // delay one arrival, so gaps between stamps alone are not the test)
    const sent = server!.sendTimes[0].map((t) => t - performance.timeOrigin)
    calls.forEach(([, t], i) => {
      expect(t).toBeGreaterThanOrEqual(sent[i])
      expect(t - sent[i]).toBeLessThan(100)
    })
    const body = server!.requests[0].body
    expect(body).toMatchObject({ model: 'scripted', prompt: 'one two three', max_tokens: 6, stream: true, stream_options: { include_usage: true }, ignore_eos: true })
  })

  it('chat endpoint: messages in, delta content out', async () => {
    const s = await session({ tokens: 3, gapMs: 10 }, { endpoint: 'chat' })
    const { calls, sink } = collect()
    const r = await s.generate({ prompt: 'hi', maxTokens: 3 }, sink)
    expect(r.outputTokens).toBe(3)
    expect(calls).toHaveLength(3)
    expect(server!.requests[0].body.messages).toEqual([{ role: 'user', content: 'hi' }])
  })

  it('a chunk carrying several tokens counts as several (continuous usage)', async () => {
    const s = await session({ tokens: 8, tokensPerChunk: 4, continuousUsage: true, gapMs: 10 })
    const { calls, sink } = collect()
    const r = await s.generate({ prompt: 'x', maxTokens: 8 }, sink)
    expect(calls.map((c) => c[0])).toEqual([4, 4])
    expect(r.outputTokens).toBe(8)
  })

  it('without per-chunk usage, the final usage wins over the chunk count', async () => {
    const s = await session({ tokens: 8, tokensPerChunk: 4, gapMs: 10 })
    const { calls, sink } = collect()
    const r = await s.generate({ prompt: 'x', maxTokens: 8 }, sink)
    expect(calls.map((c) => c[0])).toEqual([1, 1])
    expect(r.outputTokens).toBe(8)
  })

  it('events that arrive in one read are one chunk carrying all their tokens', async () => {
    const s = await session({ tokens: 6, batch: 3, gapMs: 20 })
    const { calls, sink } = collect()
    const r = await s.generate({ prompt: 'x', maxTokens: 6 }, sink)
    expect(calls.map((c) => c[0])).toEqual([3, 3])
    expect(r.outputTokens).toBe(6)
  })

  it('without any usage, tokens are counted from chunks and the prompt through /tokenize', async () => {
    const s = await session({ tokens: 5, finalUsage: false })
    const r = await s.generate({ prompt: 'a b c d', maxTokens: 5 }, collect().sink)
    expect(r).toMatchObject({ inputTokens: 4, outputTokens: 5, finishReason: 'length' })
  })

  it('the API key comes from the named environment variable, sent as a bearer token', async () => {
    process.env.LLEM_TEST_KEY = 'sk-secret'
    const s = await session({ tokens: 1 }, { apiKeyEnv: 'LLEM_TEST_KEY' })
    await s.generate({ prompt: 'x', maxTokens: 1 }, collect().sink)
    expect(server!.requests[0].headers.authorization).toBe('Bearer sk-secret')
    expect(JSON.stringify(s.settings)).not.toContain('sk-secret')
    delete process.env.LLEM_TEST_KEY
  })

  it('failures are errors with the reason: HTTP status, malformed SSE, reset connection, timeout', async () => {
    let s = await session({ status: 503 })
    await expect(s.generate({ prompt: 'x', maxTokens: 2 }, collect().sink)).rejects.toThrow(/HTTP 503/)
    await server!.close()
    s = await session({ tokens: 4, malformedAt: 1 })
    await expect(s.generate({ prompt: 'x', maxTokens: 4 }, collect().sink)).rejects.toThrow(/malformed SSE data/)
    await server!.close()
    s = await session({ tokens: 6, resetAt: 2 })
    await expect(s.generate({ prompt: 'x', maxTokens: 6 }, collect().sink)).rejects.toThrow(/connection failed|terminated|ended without/)
    await server!.close()
    s = await session({ hang: true }, { requestTimeoutMs: 300 })
    await expect(s.generate({ prompt: 'x', maxTokens: 2 }, collect().sink)).rejects.toThrow('request timed out after 300 ms')
  })

  it('a missing API key variable and a dead server are clear errors', async () => {
    server = await startSseServer(() => ({}))
    const ctx = { model: 'scripted', generation: { ...EXPERIMENT_DEFAULTS.generation }, concurrency: 1, cacheDir: '/tmp', baseDir: '/tmp', log: () => {} }
    await expect(openaiBackend.start({ ...ctx, options: { baseURL: server.url, apiKeyEnv: 'LLEM_NOT_SET_ANYWHERE' } })).rejects.toThrow('apiKeyEnv names LLEM_NOT_SET_ANYWHERE')
    await expect(openaiBackend.start({ ...ctx, options: { baseURL: 'http://127.0.0.1:9/v1' } })).rejects.toThrow('no OpenAI-compatible server answers')
  })
})

describe('SLO attainment and goodput', () => {
  const req = (ttft: number | null, tpot: number | null, e2e: number | null, ok = true) => ({ index: 0, prompt_id: 0, ok, error: null, input_tokens: 1, output_tokens: 2, start_ms: 0, ttft_ms: ttft, e2e_ms: e2e, tpot_ms: tpot, energy_j: null })
  it('the share of requests meeting every target that is set', () => {
    const rs = [req(50, 10, 200), req(150, 10, 200), req(50, 30, 200), req(50, 10, 200, false)]
    expect(sloAttainment(rs, { ttftMs: 100, tpotMs: null, e2eMs: null })).toBe(0.5)
    expect(sloAttainment(rs, { ttftMs: 100, tpotMs: 20, e2eMs: 500 })).toBe(0.25)
    expect(sloAttainment(rs, { ttftMs: null, tpotMs: null, e2eMs: null })).toBeNull()
  })
  it('goodput as vLLM defines it: requests meeting every target per second of the window', () => {
    const rs = [req(50, 10, 200), req(150, 10, 200), req(50, 30, 200), req(50, 10, 200, false)]
    // 2 of the 4 requests meet the TTFT target over a 0.5 s window: 4 requests/s
    expect(sloGoodput(rs, { ttftMs: 100, tpotMs: null, e2eMs: null }, 0.5)).toEqual({ slo_attainment: 0.5, goodput_requests_per_second: 4 })
    expect(sloGoodput(rs, { ttftMs: null, tpotMs: null, e2eMs: null }, 0.5)).toEqual({ slo_attainment: null, goodput_requests_per_second: null })
  })
})
