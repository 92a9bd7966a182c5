/**
 * Capacity of llem's streaming client (plugins/backends/openai/sse-stream.ts) against a local SSE
 * server in its own process that streams as fast as it can, with its send time kept per chunk:
 * chunks/s ingested at 1, 64 and 256 concurrent streams; and at a fixed 5 ms cadence per stream (64
 * streams) the p99 lag between the server's send and llem's stamp, and the measured ITL p99 against
 * the server's own p99 gap between sends. Targets: >= 170k chunks/s at 256 streams; lag p99 < 1 ms;
 * ITL p99 within 1 ms of the server's. The server alone is measured too (it must not be the bottleneck).
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { streamCompletion } from '../../plugins/backends/openai/sse-stream.js'
import { percentile } from '../../core/stats/summary.js'
import { REPO } from './util.js'

async function withServer<T>(gapMs: number, tokens: number, f: (url: string) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, [path.join(REPO, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs'), path.join(REPO, 'benchmarks', 'perf', 'sse-server-main.ts'), String(gapMs), String(tokens)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())))
  try {
    return await f(url)
  } finally {
    child.kill('SIGTERM')
  }
}

async function ingest(url: string, streams: number, tokens: number) {
  let chunks = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: streams }, () =>
      streamCompletion({ url: `${url}/completions`, body: { model: 'x', prompt: 'x', max_tokens: tokens }, headers: {}, timeoutMs: 120_000, chat: false }, { onTokens: () => chunks++ }),
    ),
  )
  return { streams, chunks, seconds: (performance.now() - t0) / 1000, chunks_per_sec: chunks / ((performance.now() - t0) / 1000) }
}

export async function sseClientCapacity() {
  const capacity = []
  for (const streams of [1, 64, 256]) capacity.push(await withServer(0, streams === 1 ? 20000 : Math.ceil(200000 / streams), (url) => ingest(url, streams, streams === 1 ? 20000 : Math.ceil(200000 / streams))))

  const cadence = await withServer(5, 200, async (url) => {
    const stamps = new Map<string, number[]>()
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => {
        const id = `s${i}`
        const mine: number[] = []
        stamps.set(id, mine)
        return streamCompletion({ url: `${url}/completions`, body: { model: 'x', prompt: 'x', max_tokens: 200 }, headers: { 'x-stream-id': id }, timeoutMs: 120_000, chat: false }, {
          onTokens: (n, t) => {
            for (let k = 0; k < n; k++) mine.push(performance.timeOrigin + t)
          },
        })
      }),
    )
    const sends = (await (await fetch(`${url.replace(/\/v1$/, '')}/__sendtimes`)).json()) as Record<string, number[]>
    const lag: number[] = []
    const itl: number[] = []
    const gaps: number[] = []
    for (const [id, recv] of stamps) {
      const sent = sends[id] ?? []
      for (let i = 0; i < Math.min(sent.length, recv.length); i++) lag.push(recv[i] - sent[i])
      for (let i = 1; i < recv.length; i++) itl.push(recv[i] - recv[i - 1])
      for (let i = 1; i < sent.length; i++) gaps.push(sent[i] - sent[i - 1])
    }
    return { streams: 64, lag_p99_ms: percentile(lag, 99), itl_p99_ms: percentile(itl, 99), server_gap_p99_ms: percentile(gaps, 99) }
  })
  const at256 = capacity[2].chunks_per_sec
  return { capacity, cadence, pass: at256 >= 170_000 && cadence.lag_p99_ms < 1 && Math.abs(cadence.itl_p99_ms - cadence.server_gap_p99_ms) <= 1 }
}
