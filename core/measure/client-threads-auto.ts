/**
 * load.clientThreads: 'auto'. How many client threads a load needs, from the chunk rate it plans and the
 * cores the experiment has. One client thread's cost per chunk was measured by the SSE benchmark
 * (benchmarks/perf/run.ts sse, docs/backends.md): about 5 us of CPU per chunk when chunks arrive one per
 * read, so about 190k chunks/s fill one core. A thread is given a quarter of that, so its loop mostly
 * waits and stamps stay on time. The chunk rate a load plans is its streams in flight (load.concurrency,
 * also the cap of an open loop) times a chunk every decode step of at most 10 ms (100 chunks/s a stream:
 * a fast engine's step; slower engines only make fewer threads enough). One core is left to the main
 * thread (the schedule) and the window's sampler.
 */
import os from 'node:os'

/** CPU per chunk of one client thread (us), chunks one per read: docs/backends.md, "What the client costs" */
export const CLIENT_US_PER_CHUNK = 5.3
/** the share of its core a client thread is planned to use */
export const CLIENT_THREAD_BUSY_SHARE = 0.25
/** the most chunks a second one stream is planned to carry (a 10 ms decode step) */
export const STREAM_CHUNKS_PER_S = 100

export interface ClientThreadsChoice {
  threads: number
  /** how the count was reached, for the result and the log */
  reason: string
}

export function autoClientThreads(concurrency: number, cores = os.availableParallelism()): ClientThreadsChoice {
  const perThread = Math.floor((CLIENT_THREAD_BUSY_SHARE * 1e6) / CLIENT_US_PER_CHUNK)
  const planned = concurrency * STREAM_CHUNKS_PER_S
  const wanted = Math.max(1, Math.ceil(planned / perThread))
  const cap = Math.max(1, cores - 1)
  const threads = Math.min(wanted, cap)
  const capped = wanted > cap ? `, capped at ${cap} (${cores} cores less one for the main thread)` : ''
  return { threads, reason: `auto: ${concurrency} streams x up to ${STREAM_CHUNKS_PER_S} chunks/s = ${planned} chunks/s planned; a thread takes ${perThread} chunks/s (${CLIENT_THREAD_BUSY_SHARE * 100}% of a core at ${CLIENT_US_PER_CHUNK} us a chunk): ${wanted}${capped}` }
}

/** the backends whose client is llem's HTTP streaming client, which can run on client threads */
export const CLIENT_THREAD_BACKENDS = ['openai', 'server', 'vllm', 'trtllm']
