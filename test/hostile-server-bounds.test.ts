/**
 * A hostile server cannot make the openai client hold unbounded memory: endless `data:` lines (one
 * event that never ends), a line without a newline, an endless error body and an endless stream of
 * valid events each fail their request once the configured limit of bytes has arrived, with an error
 * naming the limit, over plain HTTP (llem's own reader) and HTTPS (node:https) alike. The bound is
 * shown on the bytes the client took before it hung up (at most one read past the limit), not on RSS.
 * Through the CLI, such requests are recorded as failed and the experiment goes on.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openaiOptionsSchema } from '../plugins/backends/openai/index.js'
import { serverOptionsSchema } from '../plugins/backends/server/index.js'
import { trtllmOptionsSchema } from '../plugins/backends/trtllm/index.js'
import { vllmOptionsSchema } from '../plugins/backends/vllm/index.js'
import { DEFAULT_STREAM_LIMITS, StreamError, streamCompletion, type StreamLimits } from '../plugins/backends/openai/sse-stream.js'
import { bodies, startHostileServer, type HostileServer, type Scenario } from './fixtures/hostile-server.js'
import { makeProject, runCli } from './fixtures/project.js'

// the fixture's certificate is self-signed; this test file runs in a worker of its own
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'

const LIMITS: StreamLimits = { maxLineBytes: 256 * 1024, maxEventBytes: 512 * 1024, maxResponseBytes: 2 * 1024 * 1024 }
// what one read (plain: 64 KiB buffer; TLS: records of 16 KiB, several per read) may carry past a limit
const ONE_READ = 256 * 1024

interface Case {
  name: string
  scenario: Scenario
  error: RegExp
  /** the most body bytes the client may take before it stops */
  bound: number
}

const CASES: Case[] = [
  { name: 'endless data: lines (an event that never ends)', scenario: { body: bodies.endlessDataLines }, error: /^response too large: an SSE event passed 524288 bytes of data without the blank line that ends it \(backend option maxEventBytes\)$/, bound: LIMITS.maxEventBytes },
  { name: 'a body without a newline', scenario: { body: bodies.endlessLine }, error: /^response too large: a line passed 262144 bytes without a newline \(backend option maxLineBytes\)$/, bound: LIMITS.maxLineBytes },
  { name: 'endless valid events', scenario: { body: bodies.endlessEvents }, error: /^response too large: the body passed 2097152 bytes \(backend option maxResponseBytes\)$/, bound: LIMITS.maxResponseBytes },
  // the status is known at once: the first 4 KiB of an error body are all the error keeps (the
  // backend cuts its quote to 200 characters once the run's secrets are masked in it: StreamError)
  { name: 'an endless error body', scenario: { status: 500, body: bodies.endlessText }, error: /^HTTP 500 Scripted: e{4096}$/, bound: 4096 },
]

let plain: HostileServer
let secure: HostileServer
const byPrompt = (prompt: string) => CASES.find((c) => c.name === prompt)?.scenario ?? { body: bodies.tokensThenDone(5) }
beforeAll(async () => {
  plain = await startHostileServer(byPrompt)
  secure = await startHostileServer(byPrompt, { tls: true })
})
afterAll(async () => {
  await plain.close()
  await secure.close()
})

const request = (base: string, prompt: string, limits: Partial<StreamLimits> = LIMITS) => {
  let tokens = 0
  const done = streamCompletion({ url: `${base}/completions`, body: { prompt }, headers: {}, timeoutMs: 20_000, chat: false, limits }, { onTokens: (n) => (tokens += n) })
  return { done, tokens: () => tokens }
}

async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 10))) if (ok()) return true
  return ok()
}

describe.each([
  ['http', () => plain],
  ['https', () => secure],
])('hostile server over %s', (_transport, server) => {
  it.each(CASES)('$name: the request fails at its limit and the client hangs up', async (c) => {
    const started = performance.now()
    const e = await request(server().url, c.name).done.then(
      () => null,
      (x: unknown) => x,
    )
    expect(e).toBeInstanceOf(StreamError)
    const err = e as StreamError
    expect(err.message).toMatch(c.error)
    // the bound: it read past the limit by at most one read, then stopped reading
    expect(err.bytesReceived).toBeGreaterThan(0)
    expect(err.bytesReceived).toBeLessThanOrEqual(c.bound + ONE_READ)
    if (c.bound > ONE_READ) expect(err.bytesReceived).toBeGreaterThan(c.bound)
    const rec = server().served.find((s) => s.prompt === c.name && !s.clientClosed)
    if (rec) expect(await until(() => rec.clientClosed)).toBe(true)
    // long before the request timeout: it failed on bytes, not on time
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('8 hostile requests in flight at once (what killed the worker before): each stops at its own limit', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => request(server().url, CASES[0].name).done.catch((e: unknown) => e as StreamError)))
    for (const e of all) {
      expect(e).toBeInstanceOf(StreamError)
      expect((e as StreamError).bytesReceived).toBeGreaterThan(LIMITS.maxEventBytes)
      expect((e as StreamError).bytesReceived).toBeLessThanOrEqual(LIMITS.maxEventBytes + ONE_READ)
    }
  })

  it('a healthy stream under the limits is whole, and a line just under maxLineBytes is fine', async () => {
    const ok = request(server().url, 'fine')
    expect(await ok.done).toMatchObject({ chunkTokens: 5, completionTokens: 5, promptTokens: 3, finishReason: 'stop' })
    expect(ok.tokens()).toBe(5)
    // the longest line here is the usage event's 70 bytes (`data: {"choices":[],"usage":{...}}`): a limit
    // of exactly that reads the stream, one byte less does not
    expect((await request(server().url, 'fine', { maxLineBytes: 70 }).done).completionTokens).toBe(5)
    await expect(request(server().url, 'fine', { maxLineBytes: 69 }).done).rejects.toThrow(/^response too large: a line passed 69 bytes/)
  })
})

describe('limits as backend options', () => {
  it('have generous defaults and are validated', () => {
    expect(DEFAULT_STREAM_LIMITS).toEqual({ maxLineBytes: 8 * 1024 ** 2, maxEventBytes: 16 * 1024 ** 2, maxResponseBytes: 1024 ** 3 })
    const base = { baseURL: 'http://127.0.0.1:1/v1' }
    expect(openaiOptionsSchema.parse({ ...base, maxLineBytes: 1024, maxEventBytes: 2048, maxResponseBytes: 4096 })).toMatchObject({ maxLineBytes: 1024 })
    for (const bad of [0, -1, 1.5, '1MB']) expect(openaiOptionsSchema.safeParse({ ...base, maxEventBytes: bad }).success).toBe(false)
    // the backends that start a server and measure it through the same client take them too
    const limits = { maxLineBytes: 1024, maxEventBytes: 2048, maxResponseBytes: 4096 }
    expect(serverOptionsSchema.safeParse({ command: ['x'], ...limits }).success).toBe(true)
    expect(vllmOptionsSchema.safeParse(limits).success).toBe(true)
    expect(trtllmOptionsSchema.safeParse(limits).success).toBe(true)
    expect(vllmOptionsSchema.safeParse({ maxLineBytes: 0 }).success).toBe(false)
  })

  it('through the CLI: hostile requests are recorded as failed with the limit named, the worker lives and the experiment completes', async () => {
    const prompts = Array.from({ length: 6 }, (_, i) => (i % 3 === 1 ? CASES[0].name : i % 3 === 2 ? CASES[1].name : `fine ${i}`))
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20, maxFailedRequests: '80%' } }\n`,
      'benchmarks/hostile.bench.ts': `import { bench } from 'llem'
bench('hostile', { backend: { name: 'openai', baseURL: '${plain.url}', maxLineBytes: ${LIMITS.maxLineBytes}, maxEventBytes: ${LIMITS.maxEventBytes} }, model: 'hostile', dataset: { prompts: ${JSON.stringify(prompts)} }, generation: { maxTokens: 5 }, load: { concurrency: 3 } })
`,
    })
    const r = await runCli(dir, ['bench', '--max-parallel', '1'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const runs = readdirSync(path.join(dir, 'llem-results')).sort()
    const aggDir = path.join(dir, 'llem-results', runs[runs.length - 1], 'aggregated')
    const [agg] = readdirSync(aggDir).map((f) => JSON.parse(readFileSync(path.join(aggDir, f), 'utf8')))
    expect(agg.status).toBe('completed')
    expect(agg.num_failed_requests).toBe(4)
    expect(agg.total_output_tokens).toBe(10)
    expect(agg.measurement_warnings.join('\n')).toMatch(/4 of 6 requests failed: .*maxEventBytes.*maxLineBytes|4 of 6 requests failed: .*maxLineBytes.*maxEventBytes/)
  })
})
