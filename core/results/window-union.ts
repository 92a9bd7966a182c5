/**
 * Measured windows of data-parallel processes, lined up on the wall clock (unix ms). Each process opens
 * its window after its own warmup, so the windows rarely coincide: the experiment's measuring time is
 * the union of them, and a meter several processes read (a host's CPU packages, a GPU both could see)
 * must be counted over that union, once.
 */
import { maxOf, minOf } from '../stats/extent.js'

/** A window in unix ms. */
export interface Window {
  start: number
  end: number
}

/** The union of windows as disjoint, sorted intervals. */
export function mergeWindows(windows: Window[]): Window[] {
  const sorted = windows.filter((w) => w.end > w.start).sort((a, b) => a.start - b.start)
  const out: Window[] = []
  for (const w of sorted) {
    const last = out[out.length - 1]
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end)
    else out.push({ ...w })
  }
  return out
}

/** Seconds covered by at least one window (gaps between windows are not measuring time). */
export function unionSeconds(windows: Window[]): number {
  return mergeWindows(windows).reduce((a, w) => a + (w.end - w.start), 0) / 1000
}

/** True when one instant lies inside every window: the processes all ran at once at some point. */
export function allOverlap(windows: Window[]): boolean {
  return windows.length <= 1 || maxOf(windows.map((w) => w.start)) < minOf(windows.map((w) => w.end))
}

/** Milliseconds of w that the windows in `covered` already cover. */
function coveredMs(w: Window, covered: Window[]): number {
  return mergeWindows(covered).reduce((a, c) => a + Math.max(0, Math.min(w.end, c.end) - Math.max(w.start, c.start)), 0)
}

/** One process's reading of a meter over its own measured window. */
export interface MeterReading extends Window {
  energy_j: number
}

/**
 * The energy one meter drew over the union of the windows of the processes that read it. The longest
 * window's reading counts whole; each further reading (longest first) adds only the time no earlier one
 * covered: all of its joules when its window is disjoint from them (a measurement), nothing when it
 * lies inside them, and, when it partly overlaps them, its mean power times the uncovered seconds: the
 * one case that is pro-rated rather than measured, returned as `prorated_sec` so it can be reported.
 */
export function unionEnergy<R extends MeterReading>(readings: R[]): { energy_j: number; prorated_sec: number; used: UsedReading<R>[] } {
  const byLength = [...readings].sort((a, b) => b.end - b.start - (a.end - a.start))
  const covered: Window[] = []
  let energy = 0
  let prorated = 0
  const used: UsedReading<R>[] = []
  for (const r of byLength) {
    const span = r.end - r.start
    const seen = coveredMs(r, covered)
    if (seen === 0) {
      energy += r.energy_j
      used.push({ reading: r, prorated_sec: 0, span_sec: span / 1000 })
    } else if (seen < span) {
      energy += (r.energy_j * (span - seen)) / span
      prorated += (span - seen) / 1000
      used.push({ reading: r, prorated_sec: (span - seen) / 1000, span_sec: span / 1000 })
    }
    covered.push(r)
  }
  return { energy_j: energy, prorated_sec: prorated, used }
}

/** A reading that counts in a union: whole (prorated_sec 0) or for its uncovered seconds only. */
export interface UsedReading<R extends MeterReading = MeterReading> {
  reading: R
  prorated_sec: number
  span_sec: number
}
