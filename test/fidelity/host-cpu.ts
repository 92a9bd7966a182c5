/**
 * A simulated host CPU for the fidelity scenarios: one RAPL package zone in a fake powercap tree whose
 * energy_uj counter follows a known power trace, a square wave between `lowW` and `highW` with a
 * half-period of `halfPeriodMs`, written every 2 ms from the trace's exact integral. The truth over any
 * interval is that integral, computed here from the trace, never from what llem read.
 */
import { createFakePowercap, type FakePowercap } from '../fixtures/fake-powercap.js'

export interface HostCpuSpec {
  lowW: number
  highW: number
  halfPeriodMs: number
}

export interface SimulatedHostCpu {
  /** the probe's `root` option */
  root: string
  /** the trace's start, unix ms */
  epochMs: number
  stop(): void
}

const nowUnixMs = () => performance.timeOrigin + performance.now()

/** Joules of the square wave from its epoch to `tUnixMs` (0 before the epoch). */
export function hostCpuJoulesAt(spec: HostCpuSpec, epochMs: number, tUnixMs: number): number {
  const t = Math.max(0, tUnixMs - epochMs)
  const half = spec.halfPeriodMs
  const periods = Math.floor(t / (2 * half))
  const rest = t - periods * 2 * half
  // each period: `half` ms low, then `half` ms high
  const ms = periods * half * (spec.lowW + spec.highW) + Math.min(rest, half) * spec.lowW + Math.max(0, rest - half) * spec.highW
  return ms / 1000
}

/** True joules over [a, b] (unix ms). */
export const hostCpuTrueJ = (spec: HostCpuSpec, epochMs: number, a: number, b: number) => hostCpuJoulesAt(spec, epochMs, b) - hostCpuJoulesAt(spec, epochMs, a)

export function startHostCpu(spec: HostCpuSpec): SimulatedHostCpu {
  const fake: FakePowercap = createFakePowercap()
  fake.addZone('intel-rapl:0', { name: 'package-0', energyUj: 0 })
  const epochMs = nowUnixMs()
  const write = () => fake.setEnergy('intel-rapl:0', Math.floor(hostCpuJoulesAt(spec, epochMs, nowUnixMs()) * 1e6))
  const timer = setInterval(write, 2)
  return {
    root: fake.root,
    epochMs,
    stop() {
      clearInterval(timer)
      fake.cleanup()
    },
  }
}
