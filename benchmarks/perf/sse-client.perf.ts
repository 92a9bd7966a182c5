/**
 * Capacity of llem's streaming client (plugins/backends/openai/sse-stream.ts) against a fast local SSE
 * peer (sse-peer.c, compiled with `cc -O2` into the perf cache), the client pinned to core 0 and the
 * peer to core 1 (taskset), as issue 5 asks:
 * - the peer alone: a raw-socket C reader on core 0 counts the chunks it streams at 1, 64 and 256
 *   connections (it must be well above the client, or the client figure is the server's);
 * - the client: chunks/s ingested at 1, 64 and 256 concurrent streams, median of several runs, and per
 *   CPU-second of the client (what a core of its own would give when the machine is shared);
 * - 64 streams x 5 ms cadence: lag between the peer's send (CLOCK_MONOTONIC in each chunk's record)
 *   and llem's stamp, p50/p99, and the measured ITL p99 against the peer's own p99 gap between sends;
 *   the C reader's lag at the same cadence is the machine's floor.
 * Targets: >= 170k chunks/s at 256 streams; lag p99 < 1 ms; ITL p99 within 1 ms of the server's.
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

export async function sseClientCapacity() {
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
  // the first chunk 20 ms after its request, as after a prefill: the 64 requests (some 150 us of the
  // client's time each here: connect, socket, close) are out before chunks flow, as with real servers
  const { floor, rounds } = await withPeer(5000, 20_000, async (port) => {
    // what a bare C client on core 0 sees, just before and just after llem's rounds: the floor that
    // the machine (kernel, scheduler, the host under the VM, other work) sets at that time
    const cRounds = () => Array.from({ length: 3 }, () => onCore0<{ lag_p50_ms: number; lag_p99_ms: number }>([peerBinary(), 'read', String(port), '64', '200', 'lag']))
    const before = cRounds()
    const rounds = onCore0<CadenceRound[]>([process.execPath, JITI, path.join(HERE, 'sse-client-driver.ts'), JSON.stringify({ mode: 'cadence', url: `http://127.0.0.1:${port}/v1`, streams: 64, tokens: 200, rounds: 7 })])
    return { floor: [...before, ...cRounds()], rounds }
  })
  // the round with the median lag p99 stands for all (each is 12,800 chunks)
  const mid = <T extends { lag_p99_ms: number }>(xs: T[]) => [...xs].sort((a, b) => a.lag_p99_ms - b.lag_p99_ms)[xs.length >> 1]
  const cadence = {
    streams: 64,
    gap_ms: 5,
    ...mid(rounds),
    lag_p99_rounds_ms: rounds.map((r) => r.lag_p99_ms),
    // per round, how long llem's client was runnable but kept off core 0 by other work
    runqueue_wait_rounds_ms: rounds.map((r) => r.client_runqueue_wait_ms),
    c_reader_lag_p50_ms: mid(floor).lag_p50_ms,
    c_reader_lag_p99_ms: mid(floor).lag_p99_ms,
    c_reader_lag_p99_rounds_ms: floor.map((r) => r.lag_p99_ms),
  }
  const at256 = client[2].chunks_per_sec
  const capacityPass = at256 >= 170_000
  const cadencePass = cadence.lag_p99_ms < 1 && Math.abs(cadence.itl_p99_ms - cadence.server_gap_p99_ms) <= 1
  return {
    pinned,
    load_average: { before: loadBefore, after: os.loadavg()[0] },
    server,
    client,
    server_headroom_at_256: server[2].chunks_per_sec / at256,
    cadence,
    capacity_pass: capacityPass,
    cadence_pass: cadencePass,
    pass: capacityPass && cadencePass,
  }
}
