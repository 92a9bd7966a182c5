/**
 * A multi-turn conversation in the load: its user turns are sent one after another, each after the
 * previous reply has ended plus a think time, with the whole history so far (the earlier user turns and
 * the replies the server actually gave) through the chat endpoint, as a chat client sends it. One
 * conversation is one unit of load: closed loop keeps `concurrency` conversations in flight, open loop
 * starts conversations at the arrival rate.
 */
import { performance } from 'node:perf_hooks'
import type { ChatMessage } from '../backends/types.js'
import type { DatasetPrompt } from '../workload/dataset.js'
import { lengthSampler, type LengthSpec } from '../workload/lengths.js'
import { createRng, deriveSeed } from '../workload/random.js'

/** One turn as the load runner sends it. */
export interface TurnRequest {
  /** 1-based */
  turn: number
  text: string
  maxTokens?: number
  /** the history, ending with this turn's user message */
  messages: ChatMessage[]
  /** the think time drawn before this turn (ms); 0 for the first */
  thinkMs: number
}

/** think time between a reply and the next turn: a fixed number of ms or a distribution of them */
export type ThinkTimeSpec = number | LengthSpec

/** what the runner's send gives back: whether the turn completed, and the reply's text */
export interface TurnOutcome {
  ok: boolean
  text: string | undefined
}

/** The draws of one conversation's think times: seeded by the load seed and the conversation, so a
 *  conversation waits the same whatever order conversations run in. */
export function thinkTimes(spec: ThinkTimeSpec | undefined, seed: number, conversation: number): () => number {
  if (spec === undefined) return () => 0
  if (typeof spec === 'number') return () => spec
  return lengthSampler(spec, createRng(deriveSeed(seed, 0x7417, conversation)))
}

export async function runConversation(
  index: number,
  prompt: DatasetPrompt,
  o: {
    send(turn: TurnRequest, schedule: { scheduled: number; waitedForCap: boolean } | undefined): Promise<TurnOutcome>
    /** the load is over (duration passed, aborted, a fatal backend error): no further turns */
    stopped(): boolean
    thinkTime: ThinkTimeSpec | undefined
    seed: number
    /** open loop: the first turn's arrival; later turns are due at the reply's end plus the think time */
    schedule?: { scheduled: number; waitedForCap: boolean }
  },
): Promise<void> {
  const turns = prompt.turns ?? [{ text: prompt.text, maxTokens: prompt.maxTokens }]
  const draw = thinkTimes(o.thinkTime, o.seed, index)
  const history: ChatMessage[] = []
  for (let t = 0; t < turns.length; t++) {
    let schedule = o.schedule
    let thinkMs = 0
    if (t > 0) {
      thinkMs = draw()
      const due = performance.now() + thinkMs
      if (thinkMs > 0) await new Promise((r) => setTimeout(r, thinkMs))
      if (o.stopped()) return
      // a later turn is due when the user would send it: its lateness is its client queue time
      schedule = o.schedule ? { scheduled: due, waitedForCap: false } : undefined
    }
    history.push({ role: 'user', content: turns[t].text })
    const r = await o.send({ turn: t + 1, text: turns[t].text, maxTokens: turns[t].maxTokens, messages: history.slice(), thinkMs }, schedule)
    // a failed turn ends the conversation: its reply, which the next turn would carry, never came
    if (!r.ok || r.text === undefined) return
    history.push({ role: 'assistant', content: r.text })
  }
}
