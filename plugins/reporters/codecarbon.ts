/**
 * CodeCarbon 3.3.0's emissions.csv: its 38 columns in its order, one row per completed experiment,
 * in CodeCarbon's units (energy kWh, power W, emissions kg CO2eq, duration s). A cell holds llem's
 * own value where llem measured or knows it and is empty where it does not: llem never fills a
 * CodeCarbon column with a guess (no cloud detection, no water model, no Python version).
 */
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { carbonIntensity, componentEnergy, maxOf } from 'llem/plugin'
import { csvField, type Scalar } from './csv.js'
import { isRecord, pythonLocalIso } from './lib/files.js'
import { runFileReporter } from './lib/run-file.js'

export const CODECARBON_COLUMNS = [
  'timestamp', 'project_name', 'run_id', 'experiment_id', 'duration', 'emissions', 'emissions_rate',
  'cpu_power', 'gpu_power', 'ram_power', 'cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed',
  'water_consumed', 'country_name', 'country_iso_code', 'region', 'cloud_provider', 'cloud_region', 'os',
  'python_version', 'codecarbon_version', 'cpu_count', 'cpu_model', 'gpu_count', 'gpu_model', 'longitude',
  'latitude', 'ram_total_size', 'tracking_mode', 'cpu_utilization_percent', 'gpu_utilization_percent',
  'ram_utilization_percent', 'ram_used_gb', 'on_cloud', 'pue', 'wue',
] as const
export type CodeCarbonRow = Record<(typeof CODECARBON_COLUMNS)[number], Scalar>

const kwh = (j: number | null) => (j === null ? null : j / 3.6e6)
const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {})

type Part = 'cpu' | 'gpu' | 'ram'
/**
 * A component's energy (J) or power (W) over the experiment's processes, as the aggregated total counts
 * it, so the three components add up to energy_consumed: with several processes, each meter once over
 * the union of the windows of the processes that read it (a host's CPU and RAM read by two processes
 * are one meter), and the power that energy over the experiment's duration. Null when any process lacks it.
 */
function component(r: AggregatedResult, part: Part, what: 'energy_j' | 'power_w'): number | null {
  if (r.process_results.length > 1) {
    const e = componentEnergy(r.process_results)[`${part}_energy_j`]
    if (what === 'energy_j' || e === null) return e
    const secs = r.total_inference_time_sec ?? 0
    return secs > 0 ? e / secs : null
  }
  const values = r.process_results.map((p) => (p.energy_metrics ? p.energy_metrics[`${part}_${what}`] : null))
  if (values.length === 0 || values.some((v) => v === null)) return null
  const xs = values as number[]
  return part === 'gpu' ? xs.reduce((a, b) => a + b, 0) : maxOf(xs)
}

/** CodeCarbon counts GPUs by model: "2 x NVIDIA H100 80GB HBM3". */
function gpuModel(r: AggregatedResult): { count: number; model: string } | null {
  const byUuid = new Map<string, string>()
  for (const p of r.process_results) for (const d of p.devices) byUuid.set(d.uuid, d.name)
  if (byUuid.size === 0) return null
  const counts = new Map<string, number>()
  for (const name of byUuid.values()) counts.set(name, (counts.get(name) ?? 0) + 1)
  return { count: byUuid.size, model: [...counts].map(([name, n]) => `${n} x ${name}`).join(', ') }
}

/** The configured country (ISO 3166 alpha-3) and its name from the intensity table llem ships. */
function country(r: AggregatedResult): { code: string | null; name: string | null } {
  const code = rec(rec(rec(r.effective_config.measurement).carbon)).country
  if (typeof code !== 'string' || code === '') return { code: null, name: null }
  const found = carbonIntensity({ country: code, intensity: null })
  return { code: code.toUpperCase(), name: found ? (/^(.*) \([A-Z]{3}\),/.exec(found.source)?.[1] ?? null) : null }
}

export function codecarbonRow(r: AggregatedResult, projectName: string): CodeCarbonRow {
  const machine = rec(rec(r.environment).machine)
  const os = rec(machine.os)
  const cpu = rec(machine.cpu)
  const memory = rec(machine.memory)
  const gpu = gpuModel(r)
  const where = country(r)
  const duration = r.total_inference_time_sec
  const measured = r.total_energy_j !== null
  const util = r.extended_metrics?.gpu_utilisation.sm_utilisation_mean ?? null
  return {
    timestamp: pythonLocalIso(new Date(r.end_time)).slice(0, 19),
    project_name: projectName,
    run_id: r.run_id,
    experiment_id: r.experiment_id,
    duration,
    emissions: r.emissions_kg_co2,
    emissions_rate: r.emissions_kg_co2 !== null && duration !== null && duration > 0 ? r.emissions_kg_co2 / duration : null,
    cpu_power: component(r, 'cpu', 'power_w'),
    gpu_power: component(r, 'gpu', 'power_w'),
    ram_power: component(r, 'ram', 'power_w'),
    cpu_energy: kwh(component(r, 'cpu', 'energy_j')),
    gpu_energy: kwh(component(r, 'gpu', 'energy_j')),
    ram_energy: kwh(component(r, 'ram', 'energy_j')),
    energy_consumed: kwh(r.total_energy_j),
    water_consumed: null,
    country_name: where.name,
    country_iso_code: where.code,
    region: null,
    cloud_provider: null,
    cloud_region: null,
    os: typeof os.platform === 'string' ? [os.platform, os.release, os.arch].filter((v) => typeof v === 'string').join('-') : null,
    python_version: null,
    codecarbon_version: null,
    cpu_count: typeof cpu.cores === 'number' ? cpu.cores : null,
    cpu_model: typeof cpu.model === 'string' ? cpu.model : null,
    gpu_count: gpu?.count ?? null,
    gpu_model: gpu?.model ?? null,
    longitude: null,
    latitude: null,
    ram_total_size: typeof memory.total_mb === 'number' ? memory.total_mb / 1024 : null,
    // NVML, RAPL and the CPU estimate all read whole devices or packages, not one process's share
    tracking_mode: measured ? 'machine' : null,
    cpu_utilization_percent: null,
    gpu_utilization_percent: util,
    ram_utilization_percent: null,
    ram_used_gb: null,
    on_cloud: null,
    // llem applies no data-centre overhead factor: its energy and emissions are PUE 1
    pue: measured ? 1 : null,
    wue: null,
  }
}

/**
 * Columns CodeCarbon writes as Python floats, which always carry a decimal point (39.0, never 39), so
 * pandas reads them back as float64; an integral number written as JavaScript prints it would make
 * the column int64 (docs/validation.md compares the dtypes). cpu_count and gpu_count it writes as ints.
 */
const FLOAT_COLUMNS: ReadonlySet<string> = new Set([
  'duration', 'emissions', 'emissions_rate', 'cpu_power', 'gpu_power', 'ram_power', 'cpu_energy', 'gpu_energy', 'ram_energy',
  'energy_consumed', 'water_consumed', 'longitude', 'latitude', 'ram_total_size', 'cpu_utilization_percent',
  'gpu_utilization_percent', 'ram_utilization_percent', 'ram_used_gb', 'pue', 'wue',
])

function cell(column: string, v: Scalar): string {
  return typeof v === 'number' && FLOAT_COLUMNS.has(column) && Number.isInteger(v) && Math.abs(v) < 1e15 ? `${v}.0` : csvField(v)
}

export function toCodeCarbonCsv(results: readonly AggregatedResult[], projectName = 'llem'): string {
  const rows = results.filter((r) => r.status === 'completed').map((r) => codecarbonRow(r, projectName))
  // pandas' to_csv, which CodeCarbon writes with, ends lines with '\n'
  return [CODECARBON_COLUMNS.join(','), ...rows.map((row) => CODECARBON_COLUMNS.map((c) => cell(c, row[c])).join(','))].join('\n') + '\n'
}

export function createCodeCarbonReporter(ctx: ReporterContext): Reporter {
  const project = typeof ctx.options.projectName === 'string' ? ctx.options.projectName : 'llem'
  return runFileReporter(ctx, { name: 'codecarbon', defaultName: 'emissions.csv', label: 'CodeCarbon emissions.csv', render: (results) => toCodeCarbonCsv(results, project) })
}

export default (ctx: ReporterContext): Reporter => createCodeCarbonReporter(ctx)
