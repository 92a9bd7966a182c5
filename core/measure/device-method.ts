/**
 * The accelerator side of the method, on the recorded timeline: the counter checked against the
 * integral of instant power, clocks-event (throttle) reasons turned into durations, temperature drift,
 * utilisation and memory summaries. Pure functions over the timeline; nothing here samples.
 */
import type { ProbeDevice } from '../probes/types.js'
import type { TimelineRow } from './timeline.js'

/** Trapezoid integral of a watts column over [t0, t1] (ms timestamps) -> joules; null without 2 samples. */
export function integrateColumn(rows: TimelineRow[], column: string, t0: number, t1: number): number | null {
  const pts = rows.filter((r) => Number.isFinite(r.values[column])).map((r) => [r.t, r.values[column]] as const)
  if (pts.length < 2) return null
  let joules = 0
  for (let i = 1; i < pts.length; i++) {
    const [ta, pa] = pts[i - 1]
    const [tb, pb] = pts[i]
    const a = Math.max(ta, t0)
    const b = Math.min(tb, t1)
    if (b <= a) continue
    // linear interpolation of power inside the segment, clipped to the window
    const p = (t: number) => pa + ((pb - pa) * (t - ta)) / (tb - ta || 1)
    joules += ((p(a) + p(b)) / 2) * ((b - a) / 1000)
  }
  return joules
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

/** Clocks-event reason bits (FACTS.md) that mean the GPU ran slower than it could. */
export const THROTTLE_BITS: Record<number, string> = {
  0x4: 'sw_power_cap',
  0x8: 'hw_slowdown',
  0x20: 'sw_thermal_slowdown',
  0x40: 'hw_thermal_slowdown',
  0x80: 'hw_power_brake_slowdown',
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

/** Durations of each throttle reason inside [t0, t1], counting each sample's interval to the next. */
export function thermalInfo(devices: ProbeDevice[], rows: TimelineRow[], t0: number, t1: number): ThermalThrottleInfo | null {
  if (devices.length === 0) return null
  const inWindow = rows.filter((r) => r.t >= t0 && r.t <= t1)
  const out: DeviceThermal[] = devices.map((d) => {
    const temps = d.columns.temp_c ? inWindow.map((r) => r.values[d.columns.temp_c!]).filter(Number.isFinite) : []
    const reasons: DeviceThermal['reasons'] = []
    const col = d.columns.clocks_event_reasons
    if (col) {
      for (const [bitStr, reason] of Object.entries(THROTTLE_BITS)) {
        const bit = Number(bitStr)
        let duration = 0
        let first: number | null = null
        let last: number | null = null
        // slow readings are not in every row: each reading holds until the next one (or the window end)
        const readings = inWindow.filter((r) => Number.isFinite(r.values[col]))
        readings.forEach((r, i) => {
          const v = r.values[col]
          if ((v & bit) === 0) return
          const next = readings[i + 1]?.t ?? t1
          duration += (next - r.t) / 1000
          first ??= (r.t - t0) / 1000
          last = (r.t - t0) / 1000
        })
        if (first !== null) reasons.push({ reason, bit, duration_sec: duration, first_at_sec: first, last_at_sec: last! })
      }
    }
    return {
      domain: d.domain,
      uuid: d.uuid,
      max_temperature_c: temps.length ? Math.max(...temps) : null,
      start_temperature_c: temps.length ? temps[0] : null,
      end_temperature_c: temps.length ? temps[temps.length - 1] : null,
      reasons,
    }
  })
  return { throttled: out.some((d) => d.reasons.length > 0), devices: out }
}

export function columnValues(rows: TimelineRow[], column: string | undefined, t0: number, t1: number): number[] {
  if (!column) return []
  return rows.filter((r) => r.t >= t0 && r.t <= t1).map((r) => r.values[column]).filter(Number.isFinite)
}
