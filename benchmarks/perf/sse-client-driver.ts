/**
 * The client side of the SSE benchmark, in its own process so that sse-client.perf.ts can pin it to
 * one core (taskset -c 0) apart from the server: runs llem's streaming client against the peer and
 * prints one JSON line. `capacity` ingests as fast as the server streams; `cadence` sets every stamp
 * against the server's send time (both CLOCK_MONOTONIC, so no clock sync is involved), over every chunk
 * and over the steady window when all streams run (diagnostic: start and end effects apart), with what
 * the client spent per chunk: CPU (user and kernel), read() calls, and how late its event loop ran.
 * `bare` reads the same cadence through node:net with a callback that only stamps: what Node and the
 * kernel cost per read before any of llem's work, the floor under llem's CPU per chunk.
 *
 *   jiti sse-client-driver.ts '{"mode":"capacity","url":...,"streams":256,"tokens":1000,"runs":5}'
 *   jiti sse-client-driver.ts '{"mode":"cadence","url":...,"streams":64,"tokens":200,"rounds":5}'
 *   jiti sse-client-driver.ts '{"mode":"bare","url":...,"streams":4096,"tokens":100,"rounds":3}'
 *
 * `threads` (default 1): the client's threads, as load.clientThreads runs them (client-threads.ts):
 * above 1 (or 'auto', chosen as a load of `streams` would be), the streams run on that many worker
 * threads and the main thread only hands them out. CPU per chunk is then the whole process's, all
 * threads; the loop delay is the worst thread's; the run-queue wait is the main thread's only (null).
 * `bare` has no threads.
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { streamCompletion } from '../../plugins/backends/openai/sse-stream.js'
import { percentile } from '../../core/stats/summary.js'
import { maxOf, minOf } from '../../core/stats/extent.js'
import { autoClientThreads } from '../../core/measure/client-threads-auto.js'
import { ClientThreads } from '../../plugins/backends/openai/client-threads.js'

interface Args {
  mode: 'capacity' | 'cadence' | 'bare'
  url: string
  streams: number
  tokens: number
  runs?: number
  rounds?: number
  threads?: number | 'auto'
}
const args = JSON.parse(process.argv[2]) as Args
const threadCount = args.threads === 'auto' ? autoClientThreads(args.streams).threads : (args.threads ?? 1)
if (!(Number.isInteger(threadCount) && threadCount >= 1) || (args.mode === 'bare' && threadCount !== 1)) {
  console.error(`sse-client-driver: threads ${JSON.stringify(args.threads)}: a positive integer or 'auto' (bare mode: 1 only, it is Node's own reader)`)
  process.exit(2)
}
// the client threads, started once for every round (a round's CPU is then the streams', not the start-up's)
const pool = threadCount > 1 ? await ClientThreads.start(threadCount, () => {}) : null
const stream: typeof streamCompletion = pool ? (req, sink) => pool.stream(req, sink) : streamCompletion

const request = (tokens: number, headers: Record<string, string> = {}) => ({ url: `${args.url}/completions`, body: { model: 'llem-perf', prompt: 'x', max_tokens: tokens }, headers, timeoutMs: 120_000, chat: false })

/**
 * One round of `streams` concurrent requests: chunks are tokens (the peer puts one in each SSE chunk
 * and frame). CPU time is the whole process's, all of it on the one core the process is pinned to.
 */
async function ingest(streams: number, tokens: number) {
  let chunks = 0
  const sink = { onTokens: (n: number) => void (chunks += n) }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: streams }, () => stream(request(tokens), sink)))
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  return { streams, chunks, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, chunks_per_sec: chunks / seconds }
}

/** CLOCK_MONOTONIC ms minus performance.now(): both come from the same clock in Node on Linux */
function monotonicOffset(): number {
  let best = { width: Infinity, offset: 0 }
  for (let i = 0; i < 20; i++) {
    const a = performance.now()
    const h = Number(process.hrtime.bigint()) / 1e6
    const b = performance.now()
    if (b - a < best.width) best = { width: b - a, offset: h - (a + b) / 2 }
  }
  return best.offset
}

/**
 * The main thread's time on the CPU and waiting for it (runnable, while something else ran on its
 * core), in ms, from the kernel's schedstat; null where the kernel does not keep it.
 */
function mainThreadSched(): { run: number; wait: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number)
    return { run: run / 1e6, wait: wait / 1e6 }
  } catch {
    return null
  }
}

/** read() calls the process has made (the kernel's syscr), or null where /proc/self/io is not readable */
function readCalls(): number | null {
  try {
    return Number(/^syscr: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN)
  } catch {
    return null
  }
}

/** what a round cost the client: CPU, read() calls and the event loop's lateness */
type Costs = { waitMs: number | null; runMs: number | null; userMs: number; systemMs: number; reads: number | null; loopDelayP99Ms: number | null }

/** runs `round` and measures its cost (the few reads of /proc here count, against some 10^5 of the round) */
async function costed<T>(round: () => Promise<T>): Promise<T & Costs> {
  // 1 ms: the histogram's finest sampling timer; it records each tick's whole interval, the period included
  const delay = monitorEventLoopDelay({ resolution: 1 })
  const sched0 = mainThreadSched()
  const cpu0 = process.cpuUsage()
  const reads0 = readCalls()
  delay.enable()
  pool?.measure()
  const r = await round()
  delay.disable()
  const threadDelays = pool ? await pool.report() : []
  const reads1 = readCalls()
  const cpu = process.cpuUsage(cpu0)
  const sched1 = mainThreadSched()
  return {
    ...r,
    // how long the client was kept off its core by other threads or processes: what no client can beat
    // the main thread's only: with client threads it is not the one that reads, so not reported
    waitMs: sched0 && sched1 && !pool ? sched1.wait - sched0.wait : null,
    runMs: sched0 && sched1 && !pool ? sched1.run - sched0.run : null,
    userMs: cpu.user / 1000,
    systemMs: cpu.system / 1000,
    reads: reads0 === null || reads1 === null ? null : reads1 - reads0,
    // with client threads, the worst of them (they stamp) and this one; null when one was not measured
    loopDelayP99Ms: delay.count > 0 && threadDelays.every((d) => d !== null) ? Math.max(0, delay.percentile(99) / 1e6 - 1, maxOf(threadDelays.map((d) => d!.p99_ms))) : null,
  }
}

/** one round at the peer's cadence: every stream's stamps, as CLOCK_MONOTONIC ms, by x-stream-id */
async function cadenceRound(round: string, streams: number, tokens: number) {
  const offset = monotonicOffset()
  const stamps = new Map<string, number[]>()
  return costed(async () => {
    await Promise.all(
      Array.from({ length: streams }, (_, i) => {
        const id = `${round}-s${i}`
        const mine: number[] = []
        stamps.set(id, mine)
        return stream(request(tokens, { 'x-stream-id': id }), {
          onTokens: (n, t) => {
            for (let k = 0; k < n; k++) mine.push(t + offset)
          },
        })
      }),
    )
    return { stamps }
  })
}

// every bare socket reads into this one buffer, as llem's client does
const bareBuffer = Buffer.allocUnsafe(64 * 1024)

/**
 * One round of the same requests through node:net alone: each read only stamped (performance.now(),
 * as llem stamps a read) and counted. No parsing, so no lags: its CPU per chunk is what Node and the
 * kernel take per read, under any client built on node:net.
 */
function bareRound(streams: number, tokens: number) {
  const { pathname, hostname, port } = new URL(`${args.url}/completions`)
  const body = JSON.stringify({ model: 'llem-perf', prompt: 'x', max_tokens: tokens })
  const head = `POST ${pathname} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`
  let last = 0
  return costed(async () => {
    await Promise.all(
      Array.from(
        { length: streams },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = net.connect({
              host: hostname,
              port: Number(port),
              noDelay: true,
              onread: { buffer: bareBuffer, callback: () => ((last = performance.now()), true) },
            })
            socket.on('error', reject)
            socket.on('close', () => resolve())
            socket.write(head + body)
          }),
      ),
    )
    return { lastStamp: last }
  })
}

/** what the round cost per chunk: the client's CPU (user and kernel), read() calls, loop delay */
function costStats(c: Costs, chunks: number) {
  return {
    cpu_us_per_chunk: ((c.userMs + c.systemMs) * 1000) / chunks,
    system_us_per_chunk: (c.systemMs * 1000) / chunks,
    // below 1 when a read found several chunks waiting (the client was late to that socket)
    reads_per_chunk: c.reads === null ? null : c.reads / chunks,
    loop_delay_p99_ms: c.loopDelayP99Ms,
    client_runqueue_wait_ms: c.waitMs,
    client_cpu_ms: c.runMs,
  }
}

/**
 * Lag (stamp - send) and ITL against the peer's gaps between sends, over every chunk and over the
 * steady window: from the send of the last stream's first chunk (all streams running, every request
 * issued) to the send of the first stream's last chunk (none finished yet).
 */
function cadenceStats({ stamps, ...costs }: { stamps: Map<string, number[]> } & Costs, sends: Record<string, number[]>) {
  const all = { lag: [] as number[], itl: [] as number[], gaps: [] as number[] }
  const steady = { lag: [] as number[], itl: [] as number[], gaps: [] as number[] }
  const from = maxOf([...stamps.keys()].map((id) => sends[id]?.[0] ?? Infinity))
  const to = minOf([...stamps.keys()].map((id) => sends[id]?.at(-1) ?? -Infinity))
  for (const [id, recv] of stamps) {
    const sent = sends[id] ?? []
    if (sent.length !== recv.length) throw new Error(`stream ${id}: ${sent.length} chunks sent, ${recv.length} stamped`)
    for (let i = 0; i < recv.length; i++) {
      const inWindow = sent[i] >= from && sent[i] < to
      for (const s of inWindow ? [all, steady] : [all]) s.lag.push(recv[i] - sent[i])
      if (i === 0) continue
      for (const s of inWindow && sent[i - 1] >= from ? [all, steady] : [all]) {
        s.itl.push(recv[i] - recv[i - 1])
        s.gaps.push(sent[i] - sent[i - 1])
      }
    }
  }
  const q = (xs: number[], p: number) => percentile(xs, p)
  return {
    chunks: all.lag.length,
    lag_p50_ms: q(all.lag, 50),
    lag_p99_ms: q(all.lag, 99),
    lag_max_ms: maxOf(all.lag),
    itl_p99_ms: q(all.itl, 99),
    server_gap_p99_ms: q(all.gaps, 99),
    steady_chunks: steady.lag.length,
    steady_lag_p50_ms: q(steady.lag, 50),
    steady_lag_p99_ms: q(steady.lag, 99),
    steady_itl_p99_ms: q(steady.itl, 99),
    steady_server_gap_p99_ms: q(steady.gaps, 99),
    ...costStats(costs, all.lag.length),
  }
}

if (args.mode === 'capacity') {
  // the first round warms the JIT up and is not counted
  await ingest(args.streams, Math.min(args.tokens, 2000))
  const runs = []
  for (let i = 0; i < (args.runs ?? 5); i++) runs.push(await ingest(args.streams, args.tokens))
  console.log(JSON.stringify(runs))
} else if (args.mode === 'bare') {
  await bareRound(args.streams, args.tokens)
  const rounds = []
  for (let i = 0; i < (args.rounds ?? 1); i++) rounds.push(await bareRound(args.streams, args.tokens))
  // the peer kept no send times (no x-stream-id): nothing to collect
  console.log(JSON.stringify(rounds.map((r) => costStats(r, args.streams * args.tokens))))
} else {
  // a full round to warm up: the JIT's background compiles would otherwise share the core with round 1
  await cadenceRound('warm-up', args.streams, args.tokens)
  // rounds back to back, all analysis after the last: nothing of the benchmark's own runs between them
  const rounds = []
  for (let i = 0; i < (args.rounds ?? 1); i++) rounds.push(await cadenceRound(`r${i}`, args.streams, args.tokens))
  // the peer hands over (and forgets) the send times of every x-stream-id request it has finished
  const sends = (await (await fetch(`${args.url.replace(/\/v1$/, '')}/__sendtimes`)).json()) as Record<string, number[]>
  console.log(JSON.stringify(rounds.map((r) => cadenceStats(r, sends))))
}
await pool?.stop()
