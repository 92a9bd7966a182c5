/**
 * Energy of a data-parallel experiment from its processes' readings. Each meter is counted once over
 * the union of the windows of the processes that read it: a host's CPU packages and RAM (every process
 * on that host read the same counters; hosts are told apart by hostname and summed, as Slurm tasks can
 * run on different nodes) and each GPU by UUID (two processes see the same GPU when llem assigns none,
 * `devices: []`). Where a meter's readings cannot be lined up, its component is null with a warning.
 */
import type { RawProcessResult } from './schema.js'
import { unionEnergy, type Window } from './window-union.js'

export interface CombinedEnergy {
  gpu_energy_j: number | null
  cpu_energy_j: number | null
  ram_energy_j: number | null
  /** components the processes measured that could not be combined: the total must not omit them */
  lost: string[]
  warnings: string[]
  /** the combined energy's 95% half-width (J) over every meter, or null with the reason */
  uncertainty: { half_width_j: number; prorating_bound_j: number } | { half_width_j: null; reason: string }
}

/**
 * A meter's error over a union, in two parts. `stat2`: 95% half-widths, squared (independent meters
 * add in quadrature; several readings of one meter share its calibration error, so their half-widths
 * add linearly into that meter's one). `bound`: the worst case of each pro-rated share,
 * added whole: a pro-rated share is off by the difference between the mean power over its uncovered
 * seconds and over its reading's covered ones, times t(T - t)/T, which is no more than the power's
 * measured range times that factor; a bound, not a random error, so it is never shrunk by quadrature.
 */
export interface MeterError {
  stat2: number
  bound: number
}
type ErrorOrWhy = MeterError | string
const addErr = (a: ErrorOrWhy, b: ErrorOrWhy): ErrorOrWhy => (typeof a === 'string' ? a : typeof b === 'string' ? b : { stat2: a.stat2 + b.stat2, bound: a.bound + b.bound })

/** one process's reading of a meter: its energy, its window, its own half-width and the power's range */
interface Reading {
  r: RawProcessResult
  energy_j: number
  window: Window | null
  u_j: number | null
  range_w: readonly [number, number] | null
}

const fmt = (s: number) => s.toFixed(3)

/** The hostname a process ran on, from its environment snapshot; null when it is missing. */
export function hostOf(r: RawProcessResult): string | null {
  const machine = r.environment?.machine as { hostname?: unknown } | undefined
  return typeof machine?.hostname === 'string' && machine.hostname !== '' ? machine.hostname : null
}

/** Readings of one meter -> its energy over their union and its error; null energy (with a warning) when a window is unknown. */
function meterEnergy(meter: string, readings: Reading[], warnings: string[]): { energy_j: number | null; error: ErrorOrWhy } {
  const own = (x: Reading): ErrorOrWhy => (x.u_j === null ? `${meter}: process ${x.r.process_index} states no uncertainty for its reading` : { stat2: x.u_j * x.u_j, bound: 0 })
  if (readings.length === 1) return { energy_j: readings[0].energy_j, error: own(readings[0]) }
  if (readings.some((x) => x.window === null)) {
    warnings.push(`${meter} was read by processes ${readings.map((x) => x.r.process_index).join(', ')} without measured-window edges (results from an older llem): its energy over their windows cannot be combined and is not reported`)
    return { energy_j: null, error: `${meter}: windows unknown` }
  }
  const u = unionEnergy(readings.map((x) => ({ ...x.window!, energy_j: x.energy_j, x })))
  if (u.prorated_sec > 0)
    warnings.push(`${meter}: the measured windows of processes ${readings.map((x) => x.r.process_index).join(', ')} partly overlap: ${fmt(u.prorated_sec)} s of their union is covered at a process's mean power over its window (pro-rated), not by a reading of its own`)
  let error: ErrorOrWhy = { stat2: 0, bound: 0 }
  // readings of one meter share its calibration (an accuracy stated as a gain or an offset is the same
  // error in each): their half-widths add linearly into the meter's own, which then adds in
  // quadrature with other, independent meters'
  let sameMeter: number | string = 0
  for (const used of u.used) {
    const mine = own(used.reading.x)
    // a pro-rated reading counts for t/T of its energy (its mean power over t of its T seconds), so
    // for t/T of its stated error too, not the whole of it
    const share = used.prorated_sec === 0 || used.span_sec <= 0 ? 1 : used.prorated_sec / used.span_sec
    sameMeter = typeof sameMeter === 'string' ? sameMeter : typeof mine === 'string' ? mine : sameMeter + share * Math.sqrt(mine.stat2)
    if (used.prorated_sec === 0) continue
    const range = used.reading.x.range_w
    if (range === null) {
      error = addErr(error, `${meter}: process ${used.reading.x.r.process_index}'s share is pro-rated and its power range over the window is unknown`)
      continue
    }
    const t = used.prorated_sec
    const T = used.span_sec
    error = addErr(error, { stat2: 0, bound: ((t * (T - t)) / T) * Math.max(0, range[1] - range[0]) })
  }
  error = addErr(error, typeof sameMeter === 'string' ? sameMeter : { stat2: sameMeter * sameMeter, bound: 0 })
  return { energy_j: u.energy_j, error }
}

function hostComponent(done: RawProcessResult[], windows: (Window | null)[], key: 'cpu_energy_j' | 'ram_energy_j', name: string, warnings: string[]): { energy_j: number | null; error: ErrorOrWhy } {
  const uKey = key === 'cpu_energy_j' ? 'cpu_energy_uncertainty_j' : 'ram_energy_uncertainty_j'
  const rangeKey = key === 'cpu_energy_j' ? 'cpu_power_range_w' : 'ram_power_range_w'
  const readings: Reading[] = done.flatMap((r, i) => {
    const e = r.energy_metrics
    return e?.[key] != null ? [{ r, energy_j: e[key], window: windows[i], u_j: e[uKey] ?? null, range_w: e[rangeKey] ?? null }] : []
  })
  if (readings.length === 0) return { energy_j: null, error: { stat2: 0, bound: 0 } }
  if (readings.length > 1 && readings.some((x) => hostOf(x.r) === null)) {
    warnings.push(`${name} energy: a process's hostname is unknown, so it cannot be told whether the processes read the same host's counters: ${name} energy is not reported`)
    return { energy_j: null, error: `${name}: hosts unknown` }
  }
  const hosts = new Map<string, Reading[]>()
  for (const x of readings) hosts.set(hostOf(x.r) ?? '', [...(hosts.get(hostOf(x.r) ?? '') ?? []), x])
  let total = 0
  let error: ErrorOrWhy = { stat2: 0, bound: 0 }
  for (const [host, group] of hosts) {
    const m = meterEnergy(`${name} energy of host ${host}`, group, warnings)
    if (m.energy_j === null) return m
    total += m.energy_j
    error = addErr(error, m.error)
  }
  return { energy_j: total, error }
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

function gpuComponent(done: RawProcessResult[], windows: (Window | null)[], warnings: string[]): { energy_j: number | null; error: ErrorOrWhy } {
  const measured = done.map((r, i) => ({ r, window: windows[i] })).filter((x) => x.r.energy_metrics?.gpu_energy_j != null)
  if (measured.length === 0) return { energy_j: null, error: { stat2: 0, bound: 0 } }
  const owners = new Map<string, number>()
  for (const { r } of measured) for (const u of new Set(r.devices.map((d) => d.uuid))) owners.set(u, (owners.get(u) ?? 0) + 1)
  // the usual case: every process measured its own GPUs, whose energies simply add up
  if ([...owners.values()].every((n) => n === 1)) {
    let error: ErrorOrWhy = { stat2: 0, bound: 0 }
    for (const { r } of measured) {
      const e = r.energy_metrics!
      // a GPU-only process states its total's interval, which is its GPUs' (older results: no per-component one)
      const u = e.gpu_energy_uncertainty_j ?? (e.cpu_energy_j == null && e.ram_energy_j == null ? (e.total_energy_uncertainty_j ?? null) : null)
      error = addErr(error, u === null || u === undefined ? `GPU energy: process ${r.process_index} states no uncertainty for it` : { stat2: u * u, bound: 0 })
    }
    return { energy_j: measured.reduce((a, x) => a + x.r.energy_metrics!.gpu_energy_j!, 0), error }
  }
  const split = measured.map((x) => ({ ...x, gpus: perGpu(x.r) }))
  if (split.some((x) => x.gpus === null)) {
    warnings.push('a GPU was measured by more than one process, and a process\'s GPU energy cannot be split by device: GPU energy is not reported rather than counting a GPU twice')
    return { energy_j: null, error: 'GPU energy not combined' }
  }
  let total = 0
  let error: ErrorOrWhy = { stat2: 0, bound: 0 }
  for (const uuid of owners.keys()) {
    const readings: Reading[] = split
      .filter((x) => x.gpus!.has(uuid))
      .map((x) => {
        const d = x.r.devices.find((dev) => dev.uuid === uuid)
        const u = d ? x.r.energy_per_device_uncertainty_j?.[`${d.probe}:${d.domain}`] : undefined
        // a GPU's power range is not kept per device: a pro-rated share of a shared GPU states no bound
        return { r: x.r, energy_j: x.gpus!.get(uuid)!, window: x.window, u_j: u ?? null, range_w: null }
      })
    const m = meterEnergy(`GPU ${uuid}`, readings, warnings)
    if (m.energy_j === null) return m
    total += m.energy_j
    error = addErr(error, m.error)
  }
  return { energy_j: total, error }
}

/** GPU, CPU and RAM energy of the completed processes of one experiment, each meter counted once. */
export function combineEnergy(done: RawProcessResult[], windows: (Window | null)[]): CombinedEnergy {
  const warnings: string[] = []
  const gpu = gpuComponent(done, windows, warnings)
  const cpu = hostComponent(done, windows, 'cpu_energy_j', 'CPU', warnings)
  const ram = hostComponent(done, windows, 'ram_energy_j', 'RAM', warnings)
  const had = (k: 'gpu_energy_j' | 'cpu_energy_j' | 'ram_energy_j') => done.some((r) => r.energy_metrics?.[k] != null)
  const lost = [['gpu', gpu.energy_j, had('gpu_energy_j')], ['cpu', cpu.energy_j, had('cpu_energy_j')], ['ram', ram.energy_j, had('ram_energy_j')]].filter(([, v, h]) => v === null && h).map(([k]) => k as string)
  const error = addErr(addErr(gpu.error, cpu.error), ram.error)
  const uncertainty: CombinedEnergy['uncertainty'] =
    typeof error === 'string' ? { half_width_j: null, reason: error } : { half_width_j: Math.sqrt(error.stat2) + error.bound, prorating_bound_j: error.bound }
  return { gpu_energy_j: gpu.energy_j, cpu_energy_j: cpu.energy_j, ram_energy_j: ram.energy_j, lost, warnings, uncertainty }
}

/**
 * The total of data-parallel processes whose totals are sums of meters they name
 * (energy_metrics.total_domains): a module (Jetson, Grace Hopper) holds its CPU, GPU and memory, so
 * such a total is its modules plus any GPU outside them, not the components' sum. Each meter is counted
 * once over the union of the windows of the processes that read it, told apart by host and key: a
 * Jetson's module is its host's (every process there reads the same rails), a Grace Hopper module its
 * GPU's (the key names the GPU's UUID). Null, with a warning, where a meter cannot be combined.
 */
export function combineTotalByMeter(done: RawProcessResult[], windows: (Window | null)[]): { energy_j: number | null; warnings: string[]; uncertainty: CombinedEnergy['uncertainty'] } {
  const warnings: string[] = []
  const none = (why: string) => ({ energy_j: null, warnings: [...warnings, why], uncertainty: { half_width_j: null, reason: why } })
  if (done.some((r) => !r.energy_metrics?.total_domains)) return none('a process\'s result does not name the domains its total adds up (written by an older llem): module energy cannot be combined over the processes, and no total energy is reported')
  if (done.some((r) => hostOf(r) === null)) return none('a process\'s hostname is unknown, so it cannot be told whether the processes read the same module: no total energy is reported')
  const meters = new Map<string, { host: string; key: string; readings: Reading[] }>()
  for (const [i, r] of done.entries()) {
    for (const key of r.energy_metrics!.total_domains!) {
      const energy_j = r.energy_per_device_j[key]
      if (energy_j === undefined) return none(`process ${r.process_index} names ${key} in its total but reports no energy for it: no total energy is reported`)
      const id = `${hostOf(r)}\u0000${key}`
      const m = meters.get(id) ?? meters.set(id, { host: hostOf(r)!, key, readings: [] }).get(id)!
      m.readings.push({ r, energy_j, window: windows[i], u_j: r.energy_per_device_uncertainty_j?.[key] ?? null, range_w: null })
    }
  }
  let total = 0
  let error: ErrorOrWhy = { stat2: 0, bound: 0 }
  for (const { host, key, readings } of meters.values()) {
    const m = meterEnergy(`${key} on host ${host}`, readings, warnings)
    if (m.energy_j === null) return { energy_j: null, warnings, uncertainty: { half_width_j: null, reason: `${key} not combined` } }
    total += m.energy_j
    error = addErr(error, m.error)
  }
  const uncertainty: CombinedEnergy['uncertainty'] = typeof error === 'string' ? { half_width_j: null, reason: error } : { half_width_j: Math.sqrt(error.stat2) + error.bound, prorating_bound_j: error.bound }
  return { energy_j: total, warnings, uncertainty }
}
