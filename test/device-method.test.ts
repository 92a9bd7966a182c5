/** The accelerator method on a hand-made timeline: integration, the cross-check, throttle durations. */
import { describe, expect, it } from 'vitest'
import { crossCheckDevices, integrateColumn, thermalInfo } from '../core/measure/device-method.js'
import type { ProbeDevice } from '../core/probes/types.js'

const row = (t: number, values: Record<string, number>) => ({ t, values })
const device: ProbeDevice = { domain: 'GPU-x', index: 0, driver_index: 0, uuid: 'GPU-x', name: 'X', is_mig: false, mig_profile: null, counter_update_period_ms: 20, columns: { power_w: 'p', temp_c: 'temp', clocks_event_reasons: 'r' },
  // this fake device's encoding of its throttle column: bit 0x1 (idle) is not a reason
  throttle_reasons: [{ bit: 0x4, reason: 'sw_power_cap' }, { bit: 0x20, reason: 'sw_thermal_slowdown' }] }

describe('device method', () => {
  it('integrates a power column with trapezoids, clipped to the window', () => {
    const rows = [row(0, { p: 100 }), row(1000, { p: 300 }), row(2000, { p: 300 })]
    expect(integrateColumn(rows, 'p', 0, 2000)).toBe(200 + 300)
    // clipped: from 500 ms (power 200 there) to 1500 ms
    expect(integrateColumn(rows, 'p', 500, 1500)).toBe(((200 + 300) / 2) * 0.5 + 300 * 0.5)
    expect(integrateColumn([row(0, { p: 1 })], 'p', 0, 1)).toBeNull()
  })

  it('the cross-check flags a disagreement above the threshold', () => {
    const rows = [row(0, { p: 100 }), row(1000, { p: 100 })]
    const ok = crossCheckDevices([device], { 'GPU-x': 104 }, rows, 0, 1000, 10)
    expect(ok.checks[0]).toMatchObject({ counter_j: 104, integrated_j: 100, agrees: true })
    expect(ok.warnings).toEqual([])
    const bad = crossCheckDevices([device], { 'GPU-x': 150 }, rows, 0, 1000, 10)
    expect(bad.checks[0].agrees).toBe(false)
    expect(bad.warnings[0]).toContain('150.00 J and integrated instant power 100.00 J differ by 33.3%')
  })

  it('throttle reasons: each reading holds until the next, idle bits ignored, temperatures summarised', () => {
    const rows = [row(0, { r: 0x1, temp: 40 }), row(100, {}), row(200, { r: 0x20 | 0x4, temp: 50 }), row(300, {}), row(400, { r: 0, temp: 45 }), row(1000, {})]
    const info = thermalInfo([device], rows, 0, 1000)!
    expect(info.throttled).toBe(true)
    const d = info.devices[0]
    expect(d.reasons.map((r) => [r.reason, r.duration_sec, r.first_at_sec])).toEqual([
      ['sw_power_cap', 0.2, 0.2],
      ['sw_thermal_slowdown', 0.2, 0.2],
    ])
    expect([d.start_temperature_c, d.max_temperature_c, d.end_temperature_c]).toEqual([40, 50, 45])
    expect(thermalInfo([], rows, 0, 1000)).toBeNull()
  })

  it('a device whose probe declares no throttle reasons has its column left undecoded', () => {
    const rows = [row(0, { r: 0x4, temp: 40 }), row(1000, { r: 0x4, temp: 41 })]
    const info = thermalInfo([{ ...device, throttle_reasons: undefined }], rows, 0, 1000)!
    expect(info.throttled).toBe(false)
    expect(info.devices[0].reasons).toEqual([])
    expect(info.devices[0].max_temperature_c).toBe(41)
  })
})
