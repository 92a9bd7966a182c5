/**
 * The edges of the measured window, on constructed inputs: energy and duration share one interval,
 * a throttle state in force before the first in-window reading counts from the window start, and the
 * baseline's per-domain figures list only what its total is made of (never psys beside the package).
 */
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { measureBaseline } from '../core/measure/baseline.js'
import { buildMetrics } from '../core/measure/build-metrics.js'
import { thermalInfo } from '../core/measure/device-method.js'
import type { ProbeSession } from '../core/probes/types.js'
import { gpuDevice, gpuSnapshot, metricsInput, request } from './fixtures/metrics-input.js'

describe('window edges', () => {
  it('energy, power, duration and throughput use the one interval between the two energy reads', () => {
    // the energy reads bound [1000, 11000] ms and the GPU drew 2000 J over them: 200 W for 10 s;
    // the load itself ran from 1500 to 10000 ms, inside that interval
    const m = buildMetrics(
      metricsInput({
        devices: [gpuDevice(0, null)],
        energyStart: gpuSnapshot(1000, [0]),
        energyEnd: gpuSnapshot(11_000, [2000]),
        rows: [],
        requests: [request(1500, 10_000, 100)],
        windowStart: 1500,
        windowEnd: 10_000,
      }),
    )
    expect(m.energy.duration_sec).toBe(10)
    expect(m.inference.inference_time_sec).toBe(10)
    expect(m.energy.gpu_power_w).toBe(200)
    expect(m.inference.output_tokens_per_second).toBe(10)
    // request times are measured from the same window start
    expect(m.requests[0].start_ms).toBe(500)
  })

  it('a throttle reading taken before the window opens holds from the window start', () => {
    const device = gpuDevice(0)
    const r = device.columns.clocks_event_reasons!
    // power-capped since 0 ms; the window opens at 50 ms; the next reading (at 200 ms) says it ended
    const rows = [{ t: 0, values: { [r]: 0x4 } }, { t: 100, values: {} }, { t: 200, values: { [r]: 0 } }, { t: 300, values: {} }]
    const d = thermalInfo([device], rows, 50, 300)!.devices[0]
    expect(d.reasons).toEqual([{ reason: 'sw_power_cap', bit: 0x4, duration_sec: 0.15, first_at_sec: 0, last_at_sec: 0 }])
    // a later reading before the window start replaces the earlier one
    const replaced = [{ t: 0, values: { [r]: 0x4 } }, { t: 40, values: { [r]: 0 } }, { t: 300, values: {} }]
    expect(thermalInfo([device], replaced, 50, 300)!.devices[0].reasons).toEqual([])
  })

  it("the baseline's per-domain power lists the domains its total adds, and not psys", async () => {
    // package 20 W, DRAM 5 W, and the platform (psys) 40 W, which contains both
    const t0 = Date.now()
    const j = (w: number) => (w * (Date.now() - t0)) / 1000
    const session: ProbeSession = {
      probe: 'rapl', method: 'counter', confidence: 'high',
      readEnergy: () => [
        { domain: 'package-0', kind: 'cpu', energy_j: j(20) },
        { domain: 'package-0/dram', kind: 'dram', energy_j: j(5) },
        { domain: 'psys', kind: 'psys', energy_j: j(40) },
      ],
      sample: () => ({}), describe: () => ({}), warnings: () => [], close() {},
    }
    const cache = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-baseline-psys-')), 'baseline.json')
    const b = await measureBaseline([session], { enabled: true, seconds: 0.1, ttlSeconds: 60, sampleIntervalMs: 20 }, cache)
    expect(b.method).toBe('fresh')
    expect(Object.keys(b.per_domain_w).sort()).toEqual(['rapl:package-0', 'rapl:package-0/dram'])
    // the per-domain figures add up to the total, as energy totals do
    expect(b.per_domain_w['rapl:package-0'] + b.per_domain_w['rapl:package-0/dram']).toBeCloseTo(b.power_w!, 9)
  })
})
