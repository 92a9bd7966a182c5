/**
 * The steady-state window: from the moment the target concurrency is first in flight to the moment
 * the number in flight drops below it for good. Outside it the load is ramping up or draining.
 */
import type { RequestTiming } from './load-runner.js'

export function steadyStateWindow(requests: RequestTiming[], target: number): { start: number; end: number } | null {
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
  let reached = false
  for (const [t, d] of events) {
    const before = inFlight
    inFlight += d
    if (inFlight >= target && start === null) start = t
    if (inFlight >= target) reached = true
    if (before >= target && inFlight < target) lastDrop = t
  }
  if (!reached || start === null || lastDrop === null || lastDrop <= start) return null
  return { start, end: lastDrop }
}
