/** The messages between the main thread and a client thread (stream-worker.ts, client-threads.ts). */
import type { ThreadLoopDelay } from 'llem/plugin/runtime'
import type { StreamError } from './sse-parser.js'
import type { StreamOutcome, StreamRequest } from './sse-stream.js'

export type ThreadCommand =
  | { type: 'send'; id: number; req: Omit<StreamRequest, 'signal' | 'onNote'> }
  | { type: 'abort'; id: number }
  /** start measuring the thread's event-loop delay (the measured window opens) */
  | { type: 'measure' }
  /** stop measuring and send the figures */
  | { type: 'report' }

/** times are epoch ms (performance.timeOrigin + performance.now() of the thread that stamped them) */
export type ThreadReply =
  | { type: 'ready' }
  | { type: 'first'; id: number; count: number; atMs: number }
  /** the chunks after the first, and the outcome */
  | { type: 'done'; id: number; out: StreamOutcome; endMs: number; times: number[]; counts: number[] }
  | { type: 'failed'; id: number; error: { message: string; kind: StreamError['kind'] | null; bytesReceived: number; quote: string | null; quoteChars: number }; times: number[]; counts: number[] }
  | { type: 'note'; note: string }
  | { type: 'report'; delay: ThreadLoopDelay | null }

export type { ThreadLoopDelay }
