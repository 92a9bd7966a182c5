/**
 * Energy of a data-parallel experiment from its processes' readings. Each meter is counted once over
 * the union of the windows of the processes that read it: a host's CPU packages and RAM (every process
 * on that host read the same counters; hosts are told apart by hostname and summed, as Slurm tasks can
 * run on different nodes) and each GPU by UUID (two processes see the same GPU when llem assigns none,
 * `devices: []`). Where a meter's readings cannot be lined up, its component is null with a warning.
 */
import type { RawProcessResult } from './schema.js'
import { unionEnergy, type MeterReading, type Window } from './window-union.js'

export interface CombinedEnergy {
  gpu_energy_j: number | null
  cpu_energy_j: number | null
  ram_energy_j: number | null
  /** components the processes measured that could not be combined: the total must not omit them */
  lost: string[]
  warnings: string[]
}

const fmt = (s: number) => s.toFixed(3)

/** The hostname a process ran on, from its environment snapshot; null when it is missing. */
export function hostOf(r: RawProcessResult): string | null {
  const machine = r.environment?.machine as { hostname?: unknown } | undefined
  return typeof machine?.hostname === 'string' && machine.hostname !== '' ? machine.hostname : null
}

/** Readings of one meter -> its energy over their union; null (with a warning) when a window is unknown. */
function meterEnergy(meter: string, readings: { r: RawProcessResult; energy_j: number; window: Window | null }[], warnings: string[]): number | null {
  if (readings.length === 1) return readings[0].energy_j
  if (readings.some((x) => x.window === null)) {
    warnings.push(`${meter} was read by processes ${readings.map((x) => x.r.process_index).join(', ')} without measured-window edges (results from an older llem): its energy over their windows cannot be combined and is not reported`)
    return null
  }
  const u = unionEnergy(readings.map((x): MeterReading => ({ ...x.window!, energy_j: x.energy_j })))
  if (u.prorated_sec > 0)
    warnings.push(`${meter}: the measured windows of processes ${readings.map((x) => x.r.process_index).join(', ')} partly overlap: ${fmt(u.prorated_sec)} s of their union is covered at a process's mean power over its window (pro-rated), not by a reading of its own`)
  return u.energy_j
}

function hostComponent(done: RawProcessResult[], windows: (Window | null)[], key: 'cpu_energy_j' | 'ram_energy_j', name: string, warnings: string[]): number | null {
  const readings = done.flatMap((r, i) => (r.energy_metrics?.[key] != null ? [{ r, energy_j: r.energy_metrics[key], window: windows[i] }] : []))
  if (readings.length === 0) return null
  if (readings.length > 1 && readings.some((x) => hostOf(x.r) === null)) {
    warnings.push(`${name} energy: a process's hostname is unknown, so it cannot be told whether the processes read the same host's counters: ${name} energy is not reported`)
    return null
  }
  const hosts = new Map<string, typeof readings>()
  for (const x of readings) hosts.set(hostOf(x.r) ?? '', [...(hosts.get(hostOf(x.r) ?? '') ?? []), x])
  let total = 0
  for (const [host, group] of hosts) {
    const e = meterEnergy(`${name} energy of host ${host}`, group, warnings)
    if (e === null) return null
    total += e
  }
  return total
}

/** Each process's energy per GPU UUID, or null when its per-device readings do not add up to its GPU total. */
function perGpu(r: RawProcessResult): Map<string, number> | null {
  const out = new Map<string, number>()
  for (const d of r.devices) {
    const v = r.energy_per_device_j[`${d.probe}:${d.domain}`]
    if (v === undefined) return null
    out.set(d.uuid, (out.get(d.uuid) ?? 0) + v)
  }
  const sum = [...out.values()].reduce((a, b) => a + b, 0)
  const gpu = r.energy_metrics?.gpu_energy_j ?? null
  return gpu !== null && Math.abs(sum - gpu) <= 1e-9 * Math.max(1, Math.abs(gpu)) ? out : null
}

function gpuComponent(done: RawProcessResult[], windows: (Window | null)[], warnings: string[]): number | null {
  const measured = done.map((r, i) => ({ r, window: windows[i] })).filter((x) => x.r.energy_metrics?.gpu_energy_j != null)
  if (measured.length === 0) return null
  const owners = new Map<string, number>()
  for (const { r } of measured) for (const u of new Set(r.devices.map((d) => d.uuid))) owners.set(u, (owners.get(u) ?? 0) + 1)
  // the usual case: every process measured its own GPUs, whose energies simply add up
  if ([...owners.values()].every((n) => n === 1)) return measured.reduce((a, x) => a + x.r.energy_metrics!.gpu_energy_j!, 0)
  const split = measured.map((x) => ({ ...x, gpus: perGpu(x.r) }))
  if (split.some((x) => x.gpus === null)) {
    warnings.push('a GPU was measured by more than one process, and a process\'s GPU energy cannot be split by device: GPU energy is not reported rather than counting a GPU twice')
    return null
  }
  let total = 0
  for (const uuid of owners.keys()) {
    const readings = split.filter((x) => x.gpus!.has(uuid)).map((x) => ({ r: x.r, energy_j: x.gpus!.get(uuid)!, window: x.window }))
    const e = meterEnergy(`GPU ${uuid}`, readings, warnings)
    if (e === null) return null
    total += e
  }
  return total
}

/** GPU, CPU and RAM energy of the completed processes of one experiment, each meter counted once. */
export function combineEnergy(done: RawProcessResult[], windows: (Window | null)[]): CombinedEnergy {
  const warnings: string[] = []
  const gpu = gpuComponent(done, windows, warnings)
  const cpu = hostComponent(done, windows, 'cpu_energy_j', 'CPU', warnings)
  const ram = hostComponent(done, windows, 'ram_energy_j', 'RAM', warnings)
  const had = (k: 'gpu_energy_j' | 'cpu_energy_j' | 'ram_energy_j') => done.some((r) => r.energy_metrics?.[k] != null)
  const lost = [['gpu', gpu, had('gpu_energy_j')], ['cpu', cpu, had('cpu_energy_j')], ['ram', ram, had('ram_energy_j')]].filter(([, v, h]) => v === null && h).map(([k]) => k as string)
  return { gpu_energy_j: gpu, cpu_energy_j: cpu, ram_energy_j: ram, lost, warnings }
}
