/**
 * A long window through the metric builders: 500,000 timeline rows x 8 GPUs (30 minutes sampled every
 * 3.6 ms). Every summary over the samples (peak memory, temperature range, throttle time) must come
 * out, not overflow the stack spreading the samples into one call.
 */
import { describe, expect, it } from 'vitest'
import { buildMetrics } from '../core/measure/build-metrics.js'
import type { TimelineRow } from '../core/measure/timeline.js'
import { gpuDevice, gpuSnapshot, metricsInput, request } from './fixtures/metrics-input.js'

const ROWS = 500_000
const GPUS = 8
const WINDOW_MS = 1_800_000 // 30 min
const STEP_MS = WINDOW_MS / ROWS // 3.6 ms
const WATTS = 300

/** Every GPU draws 300 W and warms from 40 to 59 C; GPU 3 is power-capped for the first half; GPU 7's
 *  memory peaks once, mid-window, at 80,000 MB. */
function longTimeline(): TimelineRow[] {
  const rows: TimelineRow[] = new Array(ROWS)
  const col = Array.from({ length: GPUS }, (_, g) => gpuDevice(g).columns)
  for (let k = 0; k < ROWS; k++) {
    const values: Record<string, number> = {}
    for (let g = 0; g < GPUS; g++) {
      const c = col[g]
      values[c.power_w!] = WATTS
      values[c.temp_c!] = 40 + Math.floor((20 * k) / ROWS)
      values[c.sm_util_pct!] = 90
      values[c.mem_used_mb!] = g === 7 && k === ROWS / 2 ? 80_000 : 1000 * (g + 1)
      values[c.clocks_event_reasons!] = g === 3 && k < ROWS / 2 ? 0x4 : 0
    }
    rows[k] = { t: k * STEP_MS, values }
  }
  return rows
}

describe('metrics over a long window', () => {
  it('500k samples x 8 GPUs: peak memory, temperature drift and throttle time come out right', () => {
    const devices = Array.from({ length: GPUS }, (_, g) => gpuDevice(g))
    const endT = (ROWS - 1) * STEP_MS
    // the counter: 300 W over the window, per GPU
    const joules = (WATTS * endT) / 1000
    const m = buildMetrics(
      metricsInput({
        devices,
        energyStart: gpuSnapshot(0, devices.map(() => 0)),
        energyEnd: gpuSnapshot(endT, devices.map(() => joules)),
        rows: longTimeline(),
        requests: [request(0, endT, 1000)],
        windowStart: 0,
        windowEnd: endT,
      }),
    )
    expect(m.energy.gpu_energy_j).toBeCloseTo(GPUS * joules, 6)
    expect(m.energy.gpu_power_w).toBeCloseTo(GPUS * WATTS, 6)
    expect(m.extended.memory.gpu_memory_peak_mb).toBe(80_000)
    const thermal = m.thermal!.devices
    expect(thermal.map((d) => d.max_temperature_c)).toEqual(devices.map(() => 59))
    // GPU 3: capped for the first 250,000 rows, each holding until the next: 900 s
    expect(thermal[3].reasons.map((r) => r.reason)).toEqual(['sw_power_cap'])
    expect(thermal[3].reasons[0].duration_sec).toBeCloseTo((ROWS / 2) * STEP_MS / 1000, 6)
    expect(m.warnings.filter((w) => w.includes('temperature drifted 19 C during the window (40-59 C)'))).toHaveLength(GPUS)
    // the integrated 300 W agrees with the counter
    expect(m.validation!.checks.map((c) => c.agrees)).toEqual(devices.map(() => true))
  })
})
