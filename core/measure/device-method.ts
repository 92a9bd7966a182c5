/**
 * The accelerator side of the method, on the recorded timeline: the counter checked against the
 * integral of instant power, clocks-event (throttle) reasons turned into durations, temperature drift,
 * utilisation and memory summaries. Pure functions over the timeline; nothing here samples.
 */
import type { ProbeDevice } from '../probes/types.js'
import { maxOf } from '../stats/extent.js'
import type { TimelineRow } from './timeline.js'

/** Trapezoid integral of a watts column over [t0, t1] (ms timestamps) -> joules; null without 2 samples.
 *  One pass, nothing allocated per sample: a long window from 8 GPUs has millions of them. */
export function integrateColumn(rows: TimelineRow[], column: string, t0: number, t1: number): number | null {
  let points = 0
  let joules = 0
  let ta = 0
  let pa = 0
  for (const r of rows) {
    const pb = r.values[column]
    if (!Number.isFinite(pb)) continue
    const tb = r.t
    if (points++ > 0) {
      const a = Math.max(ta, t0)
      const b = Math.min(tb, t1)
      if (b > a) {
        // linear interpolation of power inside the segment, clipped to the window
        const p = (t: number) => pa + ((pb - pa) * (t - ta)) / (tb - ta || 1)
        joules += ((p(a) + p(b)) / 2) * ((b - a) / 1000)
      }
    }
    ta = tb
    pa = pb
  }
  return points < 2 ? null : joules
}

export interface CrossCheck {
  domain: string
  uuid: string
  counter_j: number
  integrated_j: number
  difference_pct: number
  agrees: boolean
}

export function crossCheckDevices(devices: ProbeDevice[], counterJ: Record<string, number>, rows: TimelineRow[], t0: number, t1: number, thresholdPct: number): { checks: CrossCheck[]; warnings: string[] } {
  const checks: CrossCheck[] = []
  const warnings: string[] = []
  for (const d of devices) {
    const counter = counterJ[d.domain]
    if (counter === undefined || !d.columns.power_w || d.counter_update_period_ms === null) continue
    const integrated = integrateColumn(rows, d.columns.power_w, t0, t1)
    if (integrated === null) continue
    const diff = counter === 0 && integrated === 0 ? 0 : (Math.abs(counter - integrated) / Math.max(Math.abs(counter), Math.abs(integrated))) * 100
    const agrees = diff <= thresholdPct
    checks.push({ domain: d.domain, uuid: d.uuid, counter_j: counter, integrated_j: integrated, difference_pct: diff, agrees })
    if (!agrees)
      warnings.push(`${d.name} (${d.uuid}): energy counter ${counter.toFixed(2)} J and integrated instant power ${integrated.toFixed(2)} J differ by ${diff.toFixed(1)}% (> ${thresholdPct}%): the counter is reported; sampled power misses short phases (the sensor averages part of each period)`)
  }
  return { checks, warnings }
}

export interface DeviceThermal {
  domain: string
  uuid: string
  max_temperature_c: number | null
  start_temperature_c: number | null
  end_temperature_c: number | null
  reasons: { reason: string; bit: number; duration_sec: number; first_at_sec: number; last_at_sec: number }[]
}

export interface ThermalThrottleInfo {
  throttled: boolean
  devices: DeviceThermal[]
}

/**
 * Visits a slow column's readings as held intervals inside [t0, t1]: each reading holds until the next
 * one (or the window end), and the reading in force when the window opens (the last one at or before
 * t0) holds from t0, so a state that began before the first in-window reading is not dropped. Rows are
 * in time order. Nothing is allocated per reading.
 */
export function forEachHeld(rows: TimelineRow[], column: string, t0: number, t1: number, visit: (from: number, to: number, value: number) => void): void {
  let has = false
  let from = t0
  let value = 0
  for (const r of rows) {
    const v = r.values[column]
    if (!Number.isFinite(v)) continue
    if (r.t > t1) break
    const at = Math.max(r.t, t0)
    // a reading at or before t0 replaces the one that was in force at the window start
    if (has && at > t0) visit(from, at, value)
    has = true
    from = at
    value = v
  }
  if (has) visit(from, t1, value)
}

/** Durations of each throttle reason inside [t0, t1], each reading counted until the next. The bits
 *  and their names are the probe's (ProbeDevice.throttle_reasons): core knows no vendor's encoding. */
export function thermalInfo(devices: ProbeDevice[], rows: TimelineRow[], t0: number, t1: number): ThermalThrottleInfo | null {
  if (devices.length === 0) return null
  const out: DeviceThermal[] = devices.map((d) => {
    const temps = columnValues(rows, d.columns.temp_c, t0, t1)
    const col = d.columns.clocks_event_reasons
    const bits = (d.throttle_reasons ?? []).map(({ bit, reason }) => ({ bit, reason, duration: 0, first: null as number | null, last: null as number | null }))
    if (col && bits.length)
      forEachHeld(rows, col, t0, t1, (from, to, value) => {
        for (const b of bits) {
          if ((value & b.bit) === 0) continue
          b.duration += (to - from) / 1000
          b.first ??= (from - t0) / 1000
          b.last = (from - t0) / 1000
        }
      })
    const reasons: DeviceThermal['reasons'] = bits.filter((b) => b.first !== null).map((b) => ({ reason: b.reason, bit: b.bit, duration_sec: b.duration, first_at_sec: b.first!, last_at_sec: b.last! }))
    return {
      domain: d.domain,
      uuid: d.uuid,
      max_temperature_c: temps.length ? maxOf(temps) : null,
      start_temperature_c: temps.length ? temps[0] : null,
      end_temperature_c: temps.length ? temps[temps.length - 1] : null,
      reasons,
    }
  })
  return { throttled: out.some((d) => d.reasons.length > 0), devices: out }
}

export function columnValues(rows: TimelineRow[], column: string | undefined, t0: number, t1: number): number[] {
  const out: number[] = []
  if (!column) return out
  for (const r of rows) {
    const v = r.values[column]
    if (r.t >= t0 && r.t <= t1 && Number.isFinite(v)) out.push(v)
  }
  return out
}
