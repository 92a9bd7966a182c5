/**
 * Turns concurrent generate() calls into the worker's batches. The worker runs one batch at a time;
 * while it is busy, requests queue. When it is free, a batch leaves as soon as `size` requests wait,
 * or when the gather window (windowMs after the first waiting request) closes with fewer. The window
 * exists for closed-loop load: the requests of a finished batch come back one by one, microseconds
 * apart, and without it the first of them would leave alone. With size 1 nothing waits.
 */
import type { GenerateRequest, GenerateResult, TokenSink } from 'llem/plugin/runtime'

export interface BatchReply {
  rows: { input: number; output: number; finish: 'length' | 'stop' }[]
  /** one performance.now() stamp per decoding step, shared by every row of the batch */
  stepsMs: number[]
  /** padding positions and all input positions (rows x padded width) */
  pads: number
  slots: number
  /** time the worker spent inside model.generate() */
  modelMs: number
}

export type RunBatch = (rows: { prompt: string; maxTokens: number }[]) => Promise<BatchReply>

export interface BatchCounters { batches: number; rows: number; pads: number; slots: number; modelMs: number }

interface Waiting { request: GenerateRequest; sink: TokenSink; resolve: (r: GenerateResult) => void; reject: (e: unknown) => void }

export class Batcher {
  readonly counters: BatchCounters = { batches: 0, rows: 0, pads: 0, slots: 0, modelMs: 0 }
  private queue: Waiting[] = []
  private busy = false
  private timer: NodeJS.Timeout | null = null
  private fatal: unknown = null

  constructor(private readonly run: RunBatch, private readonly size: number, private readonly windowMs: number) {}

  submit(request: GenerateRequest, sink: TokenSink): Promise<GenerateResult> {
    if (this.fatal !== null) return Promise.reject(this.fatal)
    if (request.signal?.aborted) return Promise.resolve({ inputTokens: 0, outputTokens: 0, finishReason: 'aborted' })
    return new Promise((resolve, reject) => {
      this.queue.push({ request, sink, resolve, reject })
      this.pump()
    })
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0) return
    if (this.queue.length >= this.size || this.windowMs === 0) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
      void this.dispatch()
      return
    }
    this.timer ??= setTimeout(() => {
      this.timer = null
      void this.dispatch()
    }, this.windowMs)
  }

  private async dispatch(): Promise<void> {
    if (this.busy) return
    const taken = this.queue.splice(0, this.size)
    const batch: Waiting[] = []
    for (const w of taken) {
      if (w.request.signal?.aborted) w.resolve({ inputTokens: 0, outputTokens: 0, finishReason: 'aborted' })
      else batch.push(w)
    }
    if (batch.length === 0) return this.pump()
    this.busy = true
    try {
      const reply = await this.run(batch.map((w) => ({ prompt: w.request.prompt, maxTokens: w.request.maxTokens })))
      this.counters.batches++
      this.counters.rows += batch.length
      this.counters.pads += reply.pads
      this.counters.slots += reply.slots
      this.counters.modelMs += reply.modelMs
      batch.forEach((w, i) => {
        const row = reply.rows[i]
        // a row's tokens are the first `output` steps; steps after its EOS produced padding for it
        for (let s = 0; s < row.output; s++) w.sink.onTokens(1, reply.stepsMs[s])
        w.resolve({ inputTokens: row.input, outputTokens: row.output, finishReason: row.finish })
      })
    } catch (e) {
      for (const w of batch) w.reject(e)
      if ((e as { fatal?: boolean })?.fatal) {
        // nothing after a fatal error can succeed: fail what waits and whatever comes later
        this.fatal = e
        for (const w of this.queue.splice(0)) w.reject(e)
      }
    } finally {
      this.busy = false
      this.pump()
    }
  }
}
