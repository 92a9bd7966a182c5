/**
 * The result's record of how the traffic went, beside the lengths: for conversations, TTFT of first
 * turns against later ones (a later turn resends the history, which a prefix cache can skip) and how
 * long whole conversations took; for a trace replay, how faithfully the client kept the trace's times
 * (each request's send time less the time the trace gave it).
 */
import type { RequestRecord, Workload } from '../results/schema.js'
import { summarise } from '../stats/summary.js'
import { normaliseLengthSpec, type LengthSpec } from './lengths.js'

type Stats = { count: number; mean: number; median: number; p99: number; max: number } | null

function stats(xs: number[]): Stats {
  const s = summarise(xs)
  return s === null ? null : { count: s.count, mean: s.mean, median: s.median, p99: s.p99, max: s.max }
}

export function conversationRecord(requests: readonly RequestRecord[], thinkTime: number | LengthSpec | undefined): Workload['conversations'] {
  const turns = requests.filter((r) => r.turn !== undefined && r.conversation_id !== undefined)
  if (turns.length === 0) return undefined
  const byConversation = new Map<number, RequestRecord[]>()
  for (const r of turns) {
    const list = byConversation.get(r.conversation_id!)
    if (list) list.push(r)
    else byConversation.set(r.conversation_id!, [r])
  }
  const ttft = (first: boolean) => turns.filter((r) => r.ok && r.ttft_ms !== null && (r.turn === 1) === first).map((r) => r.ttft_ms!)
  const input = (first: boolean) => turns.filter((r) => r.ok && (r.turn === 1) === first).map((r) => r.input_tokens)
  // a conversation's duration: from its first turn's send to its last reply's end, over those whose
  // every turn succeeded (a failed turn ends a conversation early: its duration is not the workload's)
  const durations: number[] = []
  for (const list of byConversation.values()) {
    if (!list.every((r) => r.ok && r.e2e_ms !== null)) continue
    const last = list.reduce((a, r) => (r.turn! > a.turn! ? r : a))
    const first = list.reduce((a, r) => (r.turn! < a.turn! ? r : a))
    durations.push(last.start_ms + last.e2e_ms! - first.start_ms)
  }
  const perConversation = [...byConversation.values()].map((l) => l.length)
  return {
    think_time_ms: thinkTime === undefined ? { dist: 'fixed', value: 0 } : typeof thinkTime === 'number' ? { dist: 'fixed', value: thinkTime } : normaliseLengthSpec(thinkTime),
    conversations: byConversation.size,
    conversations_all_turns_ok: durations.length,
    turns: turns.length,
    turns_per_conversation_mean: perConversation.reduce((a, b) => a + b, 0) / perConversation.length,
    ttft_first_turn_ms: stats(ttft(true)),
    ttft_later_turns_ms: stats(ttft(false)),
    input_tokens_first_turn: stats(input(true)),
    input_tokens_later_turns: stats(input(false)),
    conversation_duration_ms: stats(durations),
  }
}

/** Lateness: each request's send less its trace time (scaled), over every request sent, failed ones too
 *  (a late send is the client's, whatever the server then did). */
export function replayRecord(requests: readonly RequestRecord[], replay: { timeScale?: number } | undefined): Workload['replay'] {
  if (replay === undefined) return undefined
  const sent = requests.filter((r) => r.scheduled_ms !== null && r.scheduled_ms !== undefined)
  const scheduled = sent.map((r) => r.scheduled_ms!)
  return {
    time_scale: replay.timeScale ?? 1,
    requests: sent.length,
    trace_span_ms: scheduled.length ? scheduled.reduce((a, b) => Math.max(a, b)) - scheduled.reduce((a, b) => Math.min(a, b)) : null,
    lateness_ms: stats(sent.map((r) => r.start_ms - r.scheduled_ms!)),
  }
}

/** Both, as the keys a workload record gains (absent when neither applies). */
export function trafficRecord(requests: readonly RequestRecord[], load: { thinkTimeMs?: number | LengthSpec; replay?: { timeScale?: number } }): Pick<Workload, 'conversations' | 'replay'> {
  const conversations = conversationRecord(requests, load.thinkTimeMs)
  const replay = replayRecord(requests, load.replay)
  return { ...(conversations ? { conversations } : {}), ...(replay ? { replay } : {}) }
}

/** Data parallel: recomputed over every process's requests, with the settings the first recorded. */
export function combineTraffic(first: Workload, requests: readonly RequestRecord[]): Pick<Workload, 'conversations' | 'replay'> {
  const think = first.conversations?.think_time_ms as LengthSpec | undefined
  return trafficRecord(requests, { ...(first.conversations ? { thinkTimeMs: think } : {}), ...(first.replay ? { replay: { timeScale: first.replay.time_scale } } : {}) })
}
