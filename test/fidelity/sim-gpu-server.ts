/**
 * A simulated GPU inference server: an OpenAI-compatible streaming endpoint in front of a scripted
 * engine whose GPUs draw power from the work placed on them, written live as the fake NVML driver's
 * `power_file` trace (test/fixtures/fake-nvml/fake-nvml.c) on a shared wall-clock time base
 * (`clock epoch=`), so a measuring process in another address space reads counters that follow the
 * tokens this server sends.
 *
 * The engine runs fixed-length iterations on a grid (tickMs) per GPU, like a continuous-batching
 * server: an iteration admits waiting requests up to maxBatch (their prefill, ending with the first
 * token) and decodes one token for every request already running. Its power is
 *   P = idle + a x prefill tokens/s + b x decode tokens/s + c x sequences in the batch + ramp x t
 * (t since the server started). Iteration k is planned, and its power written, lookahead ticks before
 * it starts, so the trace is on disk before any counter read can reach it; a request arriving later
 * waits for the next planned iteration (scheduler latency, as a real engine's queue).
 * Tokens are sent when their iteration ends, tokensPerChunk to an SSE event; every send time is
 * recorded on the clock llem stamps with (performance.timeOrigin + performance.now(), unix ms).
 * The truth (power segments, each request's arrival and send times) is kept here and computed from
 * the scenario's physics only; see truth.ts.
 */
import { appendFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'

export interface SimGpu {
  idleW: number
  /** W per prefill token/s */
  aPrefill: number
  /** W per decode token/s */
  bDecode: number
  /** W per sequence in the batch */
  cOccupancy: number
  maxBatch: number
  /** W per second since the server started, added while busy (a die warming up) */
  rampWPerS?: number
  /** cap on the total draw (a power limit: the clock drops, so an iteration takes P/cap longer) */
  capW?: number
}

export interface SimServerOptions {
  gpus: SimGpu[]
  tickMs: number
  /** iterations planned ahead of their start (default 3) */
  lookahead?: number
  tokensPerChunk?: number
  /** usage (tokens so far) on every event, as vLLM's continuous_usage_stats */
  continuousUsage?: boolean
  /** the fake NVML power_file this server appends to */
  powerFile: string
  /** how the trace names each GPU (default its index): UUIDs let a driver that knows only some of the
   *  GPUs (one host's) pick its own lines out of the one trace */
  traceIds?: string[]
  /** which GPU serves a prompt (replicas behind one URL); default: the GPU with the least work */
  route?: (prompt: string) => number
  /** a driver reload: GPU `gpu`'s energy counter restarts from 0 just after the server receives its
   *  `afterRequests`-th request (so it falls inside the measured window however slow the host) */
  counterReset?: { gpu: number; afterRequests: number }
  /** the n-th request received (1-based) waits this long before the engine sees it (a replica's cold
   *  start): with data parallel, the second warmup, so that process's window opens that much later */
  hold?: { request: number; ms: number }
}

export interface SimRequest {
  id: number
  prompt: string
  gpu: number
  promptTokens: number
  maxTokens: number
  receivedMs: number
  /** engine emission times (iteration ends), one per token, unix ms */
  tokenMs: number[]
  /** SSE events: actual send time (unix ms) and tokens carried */
  sends: { ms: number; tokens: number }[]
  doneMs: number | null
}

/** one engine iteration: its true power, sequences in the batch, prompt tokens it prefilled */
export interface Segment { t0Ms: number; t1Ms: number; w: number; batch: number; prefillTokens: number }

interface Engine { gpu: SimGpu; waiting: Live[]; running: Live[]; nextK: number; nextStartMs: number; segments: Segment[] }
interface Live { req: SimRequest; produced: number; pendingTokens: number; res: http.ServerResponse; chat: boolean }

export interface SimServer {
  url: string
  epochUnixS: number
  requests: SimRequest[]
  /** true power per GPU (idle outside the segments) */
  segments: Segment[][]
  /** when the counter reset was scheduled (unix ms), null: none yet */
  counterResetAtMs(): number | null
  /** the fake NVML script lines that bind the driver to this server: clock and power_file */
  nvmlLines: string
  close(): Promise<void>
}

const nowMs = () => performance.timeOrigin + performance.now()

export async function startSimServer(o: SimServerOptions): Promise<SimServer> {
  const tick = o.tickMs
  const lookahead = o.lookahead ?? 3
  const perChunk = o.tokensPerChunk ?? 1
  // the epoch on a whole second keeps the driver's times short and the trace readable
  const epochMs = Math.floor(nowMs() / 1000) * 1000
  writeFileSync(o.powerFile, '')
  const requests: SimRequest[] = []
  const engines: Engine[] = o.gpus.map((gpu) => ({ gpu, waiting: [], running: [], nextK: 0, nextStartMs: epochMs, segments: [] }))
  const emissions: { dueMs: number; live: Live; last: boolean }[] = []

  const send = (l: Live, final: boolean) => {
    const t = nowMs()
    const piece = ' tok'.repeat(l.pendingTokens)
    const finish = final ? 'length' : null
    const choice = l.chat ? { index: 0, delta: { content: piece }, finish_reason: finish } : { index: 0, text: piece, finish_reason: finish }
    l.req.sends.push({ ms: t, tokens: l.pendingTokens })
    const sentSoFar = l.req.sends.reduce((n, x) => n + x.tokens, 0)
    const usage = o.continuousUsage ? { usage: { prompt_tokens: l.req.promptTokens, completion_tokens: sentSoFar } } : {}
    l.res.write(`data: ${JSON.stringify({ choices: [choice], ...usage })}\n\n`)
    l.pendingTokens = 0
    if (final) {
      l.res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: l.req.promptTokens, completion_tokens: l.produced } })}\n\n`)
      l.res.end('data: [DONE]\n\n')
      l.req.doneMs = t
    }
  }

  // plan one iteration on one engine: who runs, what it draws, when its tokens are due
  const plan = (e: Engine, startMs: number) => {
    let durMs = tick
    const admitted = e.waiting.splice(0, Math.max(0, e.gpu.maxBatch - e.running.length))
    const decoding = e.running.length
    const prefillTokens = admitted.reduce((s, l) => s + l.req.promptTokens, 0)
    e.running.push(...admitted)
    const batch = e.running.length
    if (batch === 0) return startMs + durMs
    const g = e.gpu
    let w = g.idleW + (g.aPrefill * prefillTokens + g.bDecode * (decoding + 0)) / (tick / 1000) + g.cOccupancy * batch + (g.rampWPerS ?? 0) * ((startMs - epochMs) / 1000)
    if (g.capW !== undefined && w > g.capW) {
      // the same work at the capped power takes proportionally longer (energy of the iteration kept)
      durMs = (tick * w) / g.capW
      w = g.capW
    }
    const endMs = startMs + durMs
    e.segments.push({ t0Ms: startMs, t1Ms: endMs, w, batch, prefillTokens })
    const id = o.traceIds?.[engines.indexOf(e)] ?? engines.indexOf(e)
    const span = `${((startMs - epochMs) / 1000).toFixed(6)} ${((endMs - epochMs) / 1000).toFixed(6)}`
    // a binding cap is what the driver reports as sw_power_cap (clocks-event reason 0x4), for that iteration
    const capped = g.capW !== undefined && w === g.capW
    appendFileSync(o.powerFile, `${capped ? `${id} throttle ${span} 0x4\n` : ''}${id} ${span} ${w.toFixed(6)}\n`)
    for (const l of [...e.running]) {
      l.produced++
      l.req.tokenMs.push(endMs)
      const last = l.produced >= l.req.maxTokens
      emissions.push({ dueMs: endMs, live: l, last })
      if (last) e.running.splice(e.running.indexOf(l), 1)
    }
    return endMs
  }

  let resetAtMs: number | null = null
  let stopped = false
  const loop = () => {
    if (stopped) return
    const now = nowMs()
    for (const e of engines) {
      // never plan an iteration that has already begun: the trace must precede every read of it
      if (e.nextStartMs < now + tick) e.nextStartMs = now + tick
      while (e.nextStartMs < now + lookahead * tick) e.nextStartMs = plan(e, e.nextStartMs)
    }
    emissions.sort((a, b) => a.dueMs - b.dueMs)
    while (emissions.length && emissions[0].dueMs <= now) {
      const { live, last } = emissions.shift()!
      live.pendingTokens++
      if (last || live.pendingTokens >= perChunk) send(live, last)
    }
    setTimeout(loop, 1)
  }
  loop()

  const server = http.createServer(async (req, res) => {
    // arrival: when the request's head reached the server, before its body is read
    const arrivedMs = nowMs()
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {}
    if (req.url?.endsWith('/models')) return void res.end(JSON.stringify({ data: [{ id: 'sim' }] }))
    if (req.url === '/tokenize') return void res.end(JSON.stringify({ tokens: words(String(body.content ?? '')).map((_, i) => i) }))
    if (!/\/(chat\/)?completions$/.test(String(req.url))) return void res.writeHead(404).end()
    const chat = String(req.url).includes('chat')
    const prompt = chat ? ((body.messages as { content: string }[]) ?? []).map((m) => m.content).join(' ') : String(body.prompt ?? '')
    const r: SimRequest = { id: requests.length, prompt, gpu: 0, promptTokens: Math.max(1, words(prompt).length), maxTokens: Number(body.max_tokens ?? body.max_completion_tokens ?? 16), receivedMs: arrivedMs, tokenMs: [], sends: [], doneMs: null }
    requests.push(r)
    if (o.counterReset && requests.length === o.counterReset.afterRequests) {
      resetAtMs = arrivedMs + 2 * tick
      appendFileSync(o.powerFile, `${o.counterReset.gpu} reset ${((resetAtMs - epochMs) / 1000).toFixed(6)}\n`)
    }
    // data parallel inside the server: the GPU with the least work takes the request
    const routed = o.route?.(prompt)
    const e = routed !== undefined ? engines[routed % engines.length] : engines.reduce((best, x) => (x.waiting.length + x.running.length < best.waiting.length + best.running.length ? x : best))
    r.gpu = engines.indexOf(e)
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    if (o.hold && requests.length === o.hold.request) await new Promise((done) => setTimeout(done, o.hold!.ms))
    e.waiting.push({ req: r, produced: 0, pendingTokens: 0, res, chat })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    epochUnixS: epochMs / 1000,
    requests,
    segments: engines.map((e) => e.segments),
    counterResetAtMs: () => resetAtMs,
    nvmlLines: `clock epoch=${(epochMs / 1000).toFixed(3)}\npower_file ${o.powerFile}\n`,
    close: () => new Promise((r) => {
      stopped = true
      server.closeAllConnections()
      server.close(() => r())
    }),
  }
}

function words(s: string): string[] {
  return s.split(/\s+/).filter(Boolean)
}
