/**
 * Capacity of llem's streaming client (plugins/backends/openai/sse-stream.ts) against a fast local SSE
 * peer (sse-peer.c, compiled with `cc -O2` into the perf cache), the client pinned to core 0 and the
 * peer to core 1 (taskset), as issue 5 asks:
 * - the peer alone: a raw-socket C reader on core 0 counts the chunks it streams at 1, 64 and 256
 *   connections (it must be well above the client, or the client figure is the server's);
 * - the client: chunks/s ingested at 1, 64 and 256 concurrent streams, median of several runs, and per
 *   CPU-second of the client (what a core of its own would give when the machine is shared);
 * - at a cadence (64 streams x 5 ms; 1,024 and 4,096 streams x 20 ms, one chunk per stream per decode
 *   step): lag between the peer's send (CLOCK_MONOTONIC in each chunk's record) and llem's stamp,
 *   p50/p99, the measured ITL p99 against the peer's own p99 gap between sends, and the client's cost
 *   per chunk: CPU (user + kernel, of its whole process), read() calls and its event loop's delay p99.
 *   Beside them, two floors on the same peer: a bare C reader's lag (the machine's), and the CPU per
 *   chunk of a bare node:net reader that only stamps each read (Node's and the kernel's, before any of
 *   llem's parsing).
 * Targets: >= 170k chunks/s at 256 streams; at 64 x 5 ms lag p99 < 1 ms and ITL p99 within 1 ms of the
 * server's; at 4,096 x 20 ms <= 2 us of CPU per chunk. The targets are judged on one client thread;
 * --threads adds other counts (load.clientThreads, 'auto' as a load of that many streams chooses), the
 * client then pinned to every core but the peer's.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CACHE, median, REPO } from './util.js'

const HERE = path.join(REPO, 'benchmarks', 'perf')
const JITI = path.join(REPO, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs')
const STREAMS = [1, 64, 256]
/** chunks per capacity run, whatever the stream count: about a second at the target rate */
const CHUNKS_PER_RUN = 240_000
const RUNS = 5

/** the peer binary, rebuilt when its source changes */
function peerBinary(): string {
  const source = path.join(HERE, 'sse-peer.c')
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12)
  const bin = path.join(CACHE, `sse-peer-${hash}`)
  if (existsSync(bin)) return bin
  mkdirSync(CACHE, { recursive: true })
  const tmp = `${bin}.${process.pid}`
  const r = spawnSync('cc', ['-O2', '-o', tmp, source], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`the SSE benchmark needs a C compiler (cc) to build its server: ${r.error?.message ?? r.stderr}`)
  renameSync(tmp, bin)
  return bin
}

// one core each when there are two to spare and taskset is there; else unpinned (and said so)
const pinned = os.availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0
const onCore = (core: number, argv: string[]) => (pinned ? ['taskset', '-c', String(core), ...argv] : argv)
/** the client's cores with client threads: all but the peer's (core 1) */
const clientCores = pinned ? [0, ...Array.from({ length: os.availableParallelism() - 2 }, (_, i) => i + 2)].join(',') : null

async function withPeer<T>(gapUs: number, firstUs: number, f: (port: number) => Promise<T>): Promise<T> {
  const [cmd, ...args] = onCore(1, [peerBinary(), 'serve', String(gapUs), '16', String(firstUs)])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`sse-peer exited (${code}) before listening`)))
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())))
  })
  try {
    return await f(port)
  } finally {
    child.kill('SIGTERM')
  }
}

function onCore0<T>(argv: string[]): T {
  const [cmd, ...args] = onCore(0, argv)
  return JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 })) as T
}

interface CapacityRun {
  streams: number
  chunks: number
  seconds: number
  cpu_seconds: number
  chunks_per_sec: number
}
interface CadenceRound {
  lag_p50_ms: number
  lag_p99_ms: number
  lag_max_ms: number
  itl_p99_ms: number
  server_gap_p99_ms: number
  steady_lag_p99_ms: number
  client_runqueue_wait_ms: number | null
}

/**
 * The cadences: streams, the peer's gap between a stream's chunks, chunks per stream, llem's rounds,
 * when the first chunk follows its request (as after a prefill: the requests, some 150 us of the
 * client's time each here, are out before chunks flow, as with real servers) and the C reader's rounds
 * before and after llem's. 100 chunks x 4,096 streams is 409,600 chunks a round.
 */
const CADENCES = [
  { streams: 64, gapMs: 5, tokens: 200, rounds: 7, firstMs: 20, floorRounds: 3 },
  { streams: 1024, gapMs: 20, tokens: 100, rounds: 3, firstMs: 500, floorRounds: 1 },
  { streams: 4096, gapMs: 20, tokens: 100, rounds: 3, firstMs: 1000, floorRounds: 1 },
]
interface CostRound {
  cpu_us_per_chunk: number
  system_us_per_chunk: number
  reads_per_chunk: number | null
  loop_delay_p99_ms: number | null
  client_runqueue_wait_ms: number | null
}

/** one cadence: the C reader's lag, then llem's client at each thread count, then the bare node:net reader */
async function cadenceRun(c: (typeof CADENCES)[number], threads: string[]) {
  return withPeer(c.gapMs * 1000, c.firstMs * 1000, async (port) => {
    const url = `http://127.0.0.1:${port}/v1`
    const driver = (mode: string, rounds: number, threads: number | 'auto' = 1) => [process.execPath, JITI, path.join(HERE, 'sse-client-driver.ts'), JSON.stringify({ mode, url, streams: c.streams, tokens: c.tokens, rounds, threads })]
    // what a bare C client on core 0 sees, just before and just after llem's rounds: the floor that
    // the machine (kernel, scheduler, the host under the VM, other work) sets at that time
    const cRounds = () => Array.from({ length: c.floorRounds }, () => onCore0<{ lag_p50_ms: number; lag_p99_ms: number }>([peerBinary(), 'read', String(port), String(c.streams), String(c.tokens), 'lag']))
    const before = cRounds()
    const byThreads = threads.map((t) => {
      const argv = driver('cadence', c.rounds, t === 'auto' ? 'auto' : Number(t))
      // one thread on core 0 as always; more on every core but the peer's
      const rounds = t === '1' ? onCore0<(CadenceRound & CostRound)[]>(argv) : (JSON.parse(execFileSync(clientCores ? 'taskset' : argv[0], clientCores ? ['-c', clientCores, ...argv] : argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 })) as (CadenceRound & CostRound)[])
      const m = mid(rounds)
      return {
        threads: t,
        measured: true as const,
        client_cores: t === '1' ? (pinned ? '0' : null) : clientCores,
        ...m,
        lag_p99_rounds_ms: rounds.map((r) => r.lag_p99_ms),
        // per round, how long llem's client was runnable but kept off core 0 by other work
        runqueue_wait_rounds_ms: rounds.map((r) => r.client_runqueue_wait_ms),
        cpu_us_per_chunk: median(rounds.map((r) => r.cpu_us_per_chunk)),
        system_us_per_chunk: median(rounds.map((r) => r.system_us_per_chunk)),
        cpu_us_per_chunk_rounds: rounds.map((r) => r.cpu_us_per_chunk),
        reads_per_chunk: m.reads_per_chunk,
        loop_delay_p99_ms: m.loop_delay_p99_ms,
      }
    })
    const floor = [...before, ...cRounds()]
    const bare = onCore0<CostRound[]>(driver('bare', 2))
    return {
      streams: c.streams,
      gap_ms: c.gapMs,
      tokens: c.tokens,
      threads: byThreads,
      c_reader_lag_p50_ms: mid(floor).lag_p50_ms,
      c_reader_lag_p99_ms: mid(floor).lag_p99_ms,
      c_reader_lag_p99_rounds_ms: floor.map((r) => r.lag_p99_ms),
      bare_node_cpu_us_per_chunk: median(bare.map((r) => r.cpu_us_per_chunk)),
      bare_node_system_us_per_chunk: median(bare.map((r) => r.system_us_per_chunk)),
      bare_node_reads_per_chunk: bare[0].reads_per_chunk === null ? null : median(bare.map((r) => r.reads_per_chunk!)),
    }
  })
}

/** the round with the median lag p99 stands for all */
const mid = <T extends { lag_p99_ms: number }>(xs: T[]) => [...xs].sort((a, b) => a.lag_p99_ms - b.lag_p99_ms)[xs.length >> 1]

/** `threads`: the client's thread counts to run at each cadence ('auto': as many as the machine offers) */
export async function sseClientCapacity(threads: string[] = ['1']) {
  const loadBefore = os.loadavg()[0]
  const { server, client } = await withPeer(0, 0, async (port) => {
    const url = `http://127.0.0.1:${port}/v1`
    const server = STREAMS.map((streams) => {
      const runs = Array.from({ length: 3 }, () => onCore0<{ chunks_per_sec: number }>([peerBinary(), 'read', String(port), String(streams), String(Math.ceil(CHUNKS_PER_RUN / streams))]))
      return { streams, chunks_per_sec: median(runs.map((r) => r.chunks_per_sec)) }
    })
    const client = STREAMS.map((streams) => {
      const runs = onCore0<CapacityRun[]>([process.execPath, JITI, path.join(HERE, 'sse-client-driver.ts'), JSON.stringify({ mode: 'capacity', url, streams, tokens: Math.ceil(CHUNKS_PER_RUN / streams), runs: RUNS })])
      return {
        streams,
        chunks_per_sec: median(runs.map((r) => r.chunks_per_sec)),
        chunks_per_cpu_sec: median(runs.map((r) => r.chunks / r.cpu_seconds)),
        // near 1: the client was busy all along, so the peer kept it fed (the client is the bottleneck)
        client_busy: median(runs.map((r) => r.cpu_seconds / r.seconds)),
        runs: runs.map((r) => Math.round(r.chunks_per_sec)),
      }
    })
    return { server, client }
  })
  // one thread always: the targets are judged on it
  const counts = ['1', ...threads.filter((t) => t !== '1')]
  const cadence = []
  for (const c of CADENCES) cadence.push(await cadenceRun(c, counts))
  const at64 = cadence[0].threads[0]
  const at256 = client[2].chunks_per_sec
  const capacityPass = at256 >= 170_000
  const cadencePass = at64.lag_p99_ms !== null && at64.lag_p99_ms < 1 && Math.abs(at64.itl_p99_ms! - at64.server_gap_p99_ms!) <= 1
  const at4096 = cadence[2].threads[0]
  const cpuPass = at4096.cpu_us_per_chunk !== null && at4096.cpu_us_per_chunk <= 2
  return {
    pinned,
    load_average: { before: loadBefore, after: os.loadavg()[0] },
    server,
    client,
    server_headroom_at_256: server[2].chunks_per_sec / at256,
    cadence,
    capacity_pass: capacityPass,
    cadence_pass: cadencePass,
    cpu_pass: cpuPass,
    pass: capacityPass && cadencePass && cpuPass,
  }
}
