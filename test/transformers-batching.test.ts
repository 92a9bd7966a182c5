/**
 * How the transformers backend gathers concurrent generate() calls into the worker's batches: a full
 * batch leaves at once, a partial one when the gather window closes, one batch runs at a time, aborted
 * requests are never sent, and a fatal error fails what waits and what comes later.
 */
import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { Batcher, type BatchReply } from '../plugins/backends/transformers/batcher.js'

type Sent = { prompts: string[]; at: number }

function fakeRun(sent: Sent[], opts: { ms?: number; fail?: Error } = {}) {
  let running = 0
  return async (rows: { prompt: string; maxTokens: number }[]): Promise<BatchReply> => {
    running++
    expect(running).toBe(1) // never two batches at once
    sent.push({ prompts: rows.map((r) => r.prompt), at: performance.now() })
    await new Promise((r) => setTimeout(r, opts.ms ?? 5))
    running--
    if (opts.fail) throw opts.fail
    const t = performance.now()
    return { rows: rows.map((r) => ({ input: r.prompt.length, output: r.maxTokens, finish: 'length' as const })), stepsMs: [t - 2, t - 1, t], pads: 1, slots: 4 * rows.length, modelMs: opts.ms ?? 5 }
  }
}
const sink = (times: number[] = []) => ({ onTokens: (n: number, t: number) => times.push(t) })

describe('transformers batcher', () => {
  it('a full batch leaves at once; a partial one when the gather window closes', async () => {
    const sent: Sent[] = []
    const b = new Batcher(fakeRun(sent), 4, 50)
    const t0 = performance.now()
    await Promise.all(['a', 'b', 'c', 'd'].map((p) => b.submit({ prompt: p, maxTokens: 3 }, sink())))
    expect(sent[0].prompts).toEqual(['a', 'b', 'c', 'd'])
    expect(sent[0].at - t0).toBeLessThan(40)
    const t1 = performance.now()
    await Promise.all(['e', 'f'].map((p) => b.submit({ prompt: p, maxTokens: 3 }, sink())))
    expect(sent[1].prompts).toEqual(['e', 'f'])
    expect(sent[1].at - t1).toBeGreaterThanOrEqual(45)
    expect(b.counters).toEqual({ batches: 2, rows: 6, pads: 2, slots: 24, modelMs: 10 })
  })

  it('requests that arrive while a batch runs form the next batch; each row gets its own tokens', async () => {
    const sent: Sent[] = []
    const b = new Batcher(fakeRun(sent, { ms: 30 }), 2, 0)
    const times: number[][] = [[], [], []]
    const results = await Promise.all(['a', 'bb', 'ccc'].map((p, i) => b.submit({ prompt: p, maxTokens: i + 1 }, sink(times[i]))))
    // no window: 'a' leaves alone at once, the two that queued behind it leave together
    expect(sent.map((s) => s.prompts)).toEqual([['a'], ['bb', 'ccc']])
    expect(results.map((r) => [r.inputTokens, r.outputTokens])).toEqual([[1, 1], [2, 2], [3, 3]])
    expect(times.map((t) => t.length)).toEqual([1, 2, 3])
  })

  it('an aborted request is answered without being sent', async () => {
    const sent: Sent[] = []
    const b = new Batcher(fakeRun(sent), 1, 0)
    const ac = new AbortController()
    ac.abort()
    expect(await b.submit({ prompt: 'x', maxTokens: 2, signal: ac.signal }, sink())).toEqual({ inputTokens: 0, outputTokens: 0, finishReason: 'aborted' })
    expect(sent).toHaveLength(0)
  })

  it('a fatal error fails the batch, the queue and every later request; an ordinary one only its batch', async () => {
    const fatal = Object.assign(new Error('worker died'), { fatal: true })
    const sent: Sent[] = []
    const b = new Batcher(fakeRun(sent, { fail: fatal, ms: 20 }), 1, 0)
    const all = await Promise.allSettled(['a', 'b', 'c'].map((p) => b.submit({ prompt: p, maxTokens: 2 }, sink())))
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(sent).toHaveLength(1)
    await expect(b.submit({ prompt: 'd', maxTokens: 2 }, sink())).rejects.toBe(fatal)

    // a non-fatal failure (one bad batch) leaves the batcher serving
    let calls = 0
    const good = fakeRun([])
    const plain = new Batcher(async (rows) => (++calls === 1 ? Promise.reject(new Error('bad row')) : good(rows)), 1, 0)
    await expect(plain.submit({ prompt: 'a', maxTokens: 2 }, sink())).rejects.toThrow('bad row')
    expect((await plain.submit({ prompt: 'a', maxTokens: 2 }, sink())).outputTokens).toBe(2)
  })
})
