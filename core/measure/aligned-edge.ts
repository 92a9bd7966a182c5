/**
 * A window edge read in step with the energy counters. An NVML energy counter moves only once per
 * update period (20-100 ms), so a plain read returns the energy up to its last update: the window's
 * start then includes up to one period before it, and its end misses up to one period of the load,
 * a bias of about (power at the end - power at the start) x period / 2 that a longer run does not
 * average away. Here each counter is polled until it has moved twice: the value just after an update
 * is the energy up to that moment, exactly, and the two updates give the power between them from the
 * counter itself. The short gap between the nearer update and the edge is bridged with that power
 * (the start: forward from the last update before the load; the end: back from the first update after
 * it, the power between the first two updates after the load being the GPU's after it too). The
 * instant power read across the gap is kept only as a check: where it disagrees with the counter's,
 * the edge's uncertainty grows by the difference (uncertainty.ts, alignedEdgeMoments).
 *
 * The poll spins (at most 2.5 update periods, once per edge) rather than waiting on timers: timers
 * fire a millisecond or more late, which is the error this removes. Domains without a measured period
 * of at least MIN_PERIOD_MS, and counters that do not move twice in time, keep the plain read.
 */
import { performance } from 'node:perf_hooks'
import type { ProbeSession } from '../probes/types.js'
import { readSnapshot, type AlignedEdge, type EnergySnapshot } from './probe-set.js'

/** below this period a plain read is already within a couple of milliseconds of the edge */
const MIN_PERIOD_MS = 2

interface Counter {
  key: string
  powerColumn: string | undefined
  periodMs: number
  session: ProbeSession
}

function countersOf(sessions: ProbeSession[]): Counter[] {
  return sessions.flatMap((s) =>
    (s.devices?.() ?? [])
      .filter((d) => d.counter_update_period_ms !== null && d.counter_update_period_ms >= MIN_PERIOD_MS)
      .map((d) => ({ key: `${s.probe}:${d.domain}`, powerColumn: d.columns.power_w, periodMs: d.counter_update_period_ms!, session: s })),
  )
}

interface Update {
  /** when the counter was seen to have moved: the middle of [the previous poll's start, this poll's reads' end] */
  t: number
  poll_ms: number
  energy_j: number
}

/**
 * Polls the counters' sessions until every counter has moved twice (or 2.5 periods of the slowest
 * have passed), with their instant power at each poll.
 */
function pollUpdates(counters: Counter[], base: EnergySnapshot): { updates: Map<string, Update[]>; power: { t: number; values: Record<string, number> }[] } {
  const sessions = [...new Set(counters.map((c) => c.session))]
  const span = 2.5 * counters.reduce((a, c) => Math.max(a, c.periodMs), 0) + 5
  const limit = base.t + span
  // the wall clock bounds the spin too: it must end even if the monotonic clock stands still
  const wallLimit = Date.now() + span
  const updates = new Map<string, Update[]>(counters.map((c) => [c.key, []]))
  const last = new Map<string, number | undefined>(counters.map((c) => [c.key, base.domains[c.key]?.energy_j]))
  const power: { t: number; values: Record<string, number> }[] = []
  // the base's counters were read after the clock before its reads: a move after that clock may be seen first here
  let prev = base.t - (base.read_ms ?? 0) / 2
  let pending = counters.length
  while (pending > 0) {
    if (performance.now() > limit || Date.now() > wallLimit) break
    const snap = readSnapshot(sessions, { fresh: true })
    // a move happened after the previous poll's reads began and before this poll's ended: the clock
    // after the reads bounds it too, or a poll kept off its core between the clock and the read would
    // date the move too early by as long as it waited, and its uncertainty (poll_ms) would not say so
    const t = snap.t - snap.read_ms! / 2
    const after = snap.t + snap.read_ms! / 2
    const values: Record<string, number> = {}
    for (const s of sessions) Object.assign(values, s.sample())
    power.push({ t, values })
    for (const c of counters) {
      // every move is kept while the slowest counter is still waited for: a longer span between the
      // first and last moves gives the counter's power with less of the polls' timing error in it
      const seen = updates.get(c.key)!
      const now = snap.domains[c.key]?.energy_j
      const was = last.get(c.key)
      if (now !== undefined && was !== undefined && now !== was) {
        seen.push({ t: (prev + after) / 2, poll_ms: after - prev, energy_j: now })
        last.set(c.key, now)
        if (seen.length === 2) pending--
      }
    }
    prev = t
  }
  return { updates, power }
}

/** mean of a device's instant power over [a, b] (the nearest reading when none falls inside) */
function instantOver(power: { t: number; values: Record<string, number> }[], column: string | undefined, a: number, b: number): number | null {
  if (!column) return null
  const inside = power.filter((p) => p.t >= a && p.t <= b && Number.isFinite(p.values[column])).map((p) => p.values[column])
  const pick = inside.length ? inside : power.filter((p) => Number.isFinite(p.values[column])).slice(-1).map((p) => p.values[column])
  return pick.length ? pick.reduce((x, y) => x + y, 0) / pick.length : null
}

/**
 * Every session's energy at the edge, counters taken in step with their updates. `start`: the edge is
 * when this returns (the load starts right after); `end`: the edge is when this is called (the load
 * has just ended).
 */
export function alignedSnapshot(sessions: ProbeSession[], edge: 'start' | 'end'): EnergySnapshot {
  const counters = countersOf(sessions)
  // the domains without a counter to align with keep these reads, dated by the clock on both sides
  const first = readSnapshot(sessions, { fresh: true })
  if (counters.length === 0) return first
  const { updates, power } = pollUpdates(counters, first)
  const snap = edge === 'start' ? readSnapshot(sessions, { fresh: true }) : first
  for (const c of counters) {
    const seen = updates.get(c.key) ?? []
    const d = snap.domains[c.key]
    if (seen.length < 2 || !d) continue
    const u1 = seen[0]
    const un = seen[seen.length - 1]
    // moves seen at one instant give no power to bridge with: keep the plain read
    if (!(un.t > u1.t)) continue
    // the counter's own power between its first and last moves: after the load at the end, before it
    // at the start; the edge is carried from the move nearest to it
    const counterW = ((un.energy_j - u1.energy_j) * 1000) / (un.t - u1.t)
    const anchor = edge === 'start' ? un : u1
    const [a, b] = edge === 'start' ? [anchor.t, snap.t] : [snap.t, anchor.t]
    const bridge = (counterW * (b - a)) / 1000
    const instant = instantOver(power, c.powerColumn, a, b)
    const aligned: AlignedEdge = { gap_ms: b - a, poll_ms: anchor.poll_ms, power_w: counterW, power_spread_w: instant === null ? 0 : Math.abs(instant - counterW) }
    snap.domains[c.key] = { ...d, energy_j: edge === 'start' ? anchor.energy_j + bridge : anchor.energy_j - bridge, aligned }
  }
  return snap
}
