/**
 * The device boundary of the error model: core states an interval for a domain only from what its
 * probe says of the sensor (ProbeSession.errorModel), so a user's probe can state one, and a probe
 * that states none gets none, with the reason, whatever its name. Expected half-widths are the
 * sensor's stated bound over the window: 3% of 1,000 J is 30 J; 2 W over 10 s is 20 J.
 */
import { describe, expect, it } from 'vitest'
import { domainSensors, windowUncertainty } from '../core/measure/window-uncertainty.js'
import type { EnergyDomainReading, ProbeSession, SensorErrorModel } from '../core/plugin.js'

function session(probe: string, readings: EnergyDomainReading[], errorModel?: ProbeSession['errorModel']): ProbeSession {
  return {
    probe, method: 'counter', confidence: 'medium',
    readEnergy: () => readings,
    sample: () => ({}),
    describe: () => ({}),
    warnings: () => [],
    ...(errorModel ? { errorModel } : {}),
    close: () => {},
  }
}

/** 1,000 J over a 10 s window ([0, 10000] ms) on each domain */
const delta = (keys: string[]) => ({ perDomain: Object.fromEntries(keys.map((k) => [k, 1000])), cpu: null, dram: null, gpu: null, module: null, total: null, totalKeys: [], invalid: {} })

describe('error model from the probe', () => {
  it("a user's probe states its sensor: its interval is that sensor's bound", () => {
    const seen: string[] = []
    const meter = session('wall-meter', [{ domain: 'psu', kind: 'cpu', energy_j: 0 }], (reading) => {
      seen.push(reading.domain)
      return { method: 'counter', accuracy: { absolute_w: 0, relative: 0.03, source: 'datasheet' }, resolution_j: 0.001, update_period_ms: 1, edge_power_from_timeline: false } satisfies SensorErrorModel
    })
    const sensors = domainSensors([meter], [], [])
    expect(seen).toEqual(['psu'])
    expect(sensors.map((s) => [s.key, s.accuracy?.source, s.update_period_ms])).toEqual([['wall-meter:psu', 'datasheet', 1]])
    const u = windowUncertainty(sensors, delta(['wall-meter:psu']), 0, 10_000)
    expect(u.perDomain['wall-meter:psu']!.terms.accuracy).toBeCloseTo(30, 6)
    expect(u.cpu).not.toBeNull()
  })

  it('an absolute bound grows with the window: 2 W over 10 s is 20 J', () => {
    const meter = session('bench-psu', [{ domain: 'rail', kind: 'gpu', energy_j: 0 }], () => ({ method: 'integrated_power', accuracy: { absolute_w: 2, relative: 0, source: 'spec' } }))
    const u = windowUncertainty(domainSensors([meter], [], []), delta(['bench-psu:rail']), 0, 10_000)
    expect(u.perDomain['bench-psu:rail']!.terms.accuracy).toBeCloseTo(20, 6)
  })

  it('a probe that states nothing gets no interval, even one named like a built-in, and the figure says why', () => {
    const unnamed = session('my-meter', [{ domain: 'wall', kind: 'cpu', energy_j: 0 }])
    const impostor = session('nvml', [{ domain: 'GPU-x', kind: 'gpu', energy_j: 0 }])
    const u = windowUncertainty(domainSensors([unnamed, impostor], [], []), delta(['my-meter:wall', 'nvml:GPU-x']), 0, 10_000)
    expect(u.perDomain).toEqual({ 'my-meter:wall': null, 'nvml:GPU-x': null })
    expect(u.total).toBeNull()
    expect(u.notes).toEqual(['no error model for my-meter:wall (probe my-meter, method counter)', 'no error model for nvml:GPU-x (probe nvml, method counter)'])
  })

  it('a module domain: an interval only where its probe states one; else the note says none is documented', () => {
    const stated = session('vendor', [{ domain: 'module-0', kind: 'module', energy_j: 0 }], () => ({ method: 'integrated_power', accuracy: { absolute_w: 1, relative: 0, source: 'x' } }))
    const silent = session('board', [{ domain: 'VDD_IN', kind: 'module', energy_j: 0 }])
    const u = windowUncertainty(domainSensors([stated, silent], [], []), delta(['vendor:module-0', 'board:VDD_IN']), 0, 10_000)
    expect(u.perDomain['vendor:module-0']!.terms.accuracy).toBeCloseTo(10, 6)
    expect(u.perDomain['board:VDD_IN']).toBeNull()
    expect(u.notes.filter((n) => n.startsWith('no error model'))).toEqual(['no error model for board:VDD_IN: no accuracy is documented for module power (probe board)'])
  })
})
