/**
 * The steady-state window: from the moment the target concurrency is first in flight to the moment
 * the number in flight drops below it for good. Outside it the load is ramping up or draining. Inside
 * it the load can still dip below the target (an open loop whose arrivals cannot keep the cap full),
 * so the window also says what share of its time the target was actually held.
 */
import type { RequestTiming } from './load-runner.js'

export interface SteadyWindow {
  start: number
  end: number
  /** time-weighted share of [start, end] with at least `target` requests in flight (0..1) */
  atTargetShare: number
}

export function steadyStateWindow(requests: RequestTiming[], target: number): SteadyWindow | null {
  if (target < 1 || requests.length === 0) return null
  const events: [number, number][] = []
  for (const r of requests) {
    events.push([r.start, +1])
    events.push([r.end, -1])
  }
  // at equal times process departures first: a request replaced at the same instant is not "2 in flight"
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let inFlight = 0
  let start: number | null = null
  let lastDrop: number | null = null
  // time spent at the target so far, and its value at the last drop (the window's end)
  let atTarget = 0
  let atTargetAtDrop = 0
  let prev = events[0][0]
  for (const [t, d] of events) {
    if (inFlight >= target) atTarget += t - prev
    prev = t
    const before = inFlight
    inFlight += d
    if (inFlight >= target && start === null) start = t
    if (before >= target && inFlight < target) {
      lastDrop = t
      atTargetAtDrop = atTarget
    }
  }
  if (start === null || lastDrop === null || lastDrop <= start) return null
  return { start, end: lastDrop, atTargetShare: atTargetAtDrop / (lastDrop - start) }
}

/**
 * Output tokens generated inside [start, end], counted the way the total window counts them:
 * each request's own count (the server's usage, when it sent one) spread over its chunks in proportion
 * to what each chunk said it carried. A server that sends k tokens per chunk without per-chunk usage
 * gives chunks of "1" and a usage of k per chunk; counting chunks would make J/token k times too high.
 * Integer shares by cumulative rounding, so a request's shares add up to exactly its count. A request
 * with tokens but no chunk timestamps (nothing streamed) has them all at its end.
 */
export function outputTokensBetween(requests: RequestTiming[], start: number, end: number): number {
  let tokens = 0
  for (const r of requests) {
    const streamed = r.chunkCounts.reduce((a, b) => a + b, 0)
    if (streamed === 0) {
      if (r.end >= start && r.end <= end) tokens += r.outputTokens
      continue
    }
    let cumulative = 0
    let assigned = 0
    for (let i = 0; i < r.chunkTimes.length; i++) {
      cumulative += r.chunkCounts[i]
      const upTo = Math.round((r.outputTokens * cumulative) / streamed)
      const k = upTo - assigned
      assigned = upTo
      // a chunk of k tokens was generated over the gap since the previous one, its last token just
      // before it was sent: token j (1..k) is dated gap x (k - j) / k before the chunk's arrival. Dating
      // them all at the arrival would put tokens made inside the window, but sent just after it,
      // outside (steady J/token too high by the tokens the last chunk held)
      const t = r.chunkTimes[i]
      const gap = i > 0 ? t - r.chunkTimes[i - 1] : 0
      for (let j = 1; j <= k; j++) {
        const at = t - (gap * (k - j)) / k
        if (at >= start && at <= end) tokens++
      }
    }
  }
  return tokens
}
