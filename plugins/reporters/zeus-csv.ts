/**
 * Zeus's log CSV (ZeusMonitor's log_file): `start_time,window_name,elapsed_time,gpu{i}_energy...`,
 * a row each time a measurement window ends, in Unix seconds, seconds and joules. Here a window is an
 * experiment's measured window, named by its experiment id. GPUs are numbered by their driver index,
 * so a column is the same physical GPU in every row whichever slot ran the experiment; a GPU the
 * experiment did not use is an empty cell. Experiments without a measured window (failed before or
 * during it) have no row: Zeus writes a row only when a window ends.
 */
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { minOf } from 'llem/plugin'
import { csvField } from './csv.js'
import { runFileReporter } from './lib/run-file.js'

/**
 * Unix seconds at which the measured window opened. A result stamps the moment its window closed
 * (timestamps.end, taken right after the last request) and the window's length; the earliest
 * process's opening is the experiment's.
 */
export function windowStartUnix(r: AggregatedResult): number | null {
  const starts = r.process_results
    .filter((p) => p.inference_metrics !== null)
    .map((p) => Date.parse(p.timestamps.end) / 1000 - p.inference_metrics!.inference_time_sec)
    .filter(Number.isFinite)
  return starts.length ? minOf(starts) : null
}

/** Joules per GPU (by driver index) over the experiment's processes; null for a GPU whose energy was not measured. */
export function gpuEnergies(r: AggregatedResult): Map<number, number | null> {
  const out = new Map<number, number | null>()
  for (const p of r.process_results)
    for (const d of p.devices) {
      const index = d.driver_index ?? d.index
      const j = p.energy_per_device_j[`${d.probe}:${d.domain}`]
      const before = out.get(index)
      out.set(index, j === undefined || before === null ? null : (before ?? 0) + j)
    }
  return out
}

export function toZeusCsv(results: readonly AggregatedResult[]): string {
  const rows = results.filter((r) => r.status === 'completed' && windowStartUnix(r) !== null)
  const energies = rows.map(gpuEnergies)
  const gpus = [...new Set(energies.flatMap((e) => [...e.keys()]))].sort((a, b) => a - b)
  const header = ['start_time', 'window_name', 'elapsed_time', ...gpus.map((i) => `gpu${i}_energy`)]
  const lines = rows.map((r, k) => [windowStartUnix(r), r.experiment_id, r.total_inference_time_sec, ...gpus.map((i) => energies[k].get(i) ?? null)].map(csvField).join(','))
  // Zeus writes '\n' line ends
  return [header.join(','), ...lines].join('\n') + '\n'
}

export function createZeusCsvReporter(ctx: ReporterContext): Reporter {
  return runFileReporter(ctx, { name: 'zeus-csv', defaultName: 'zeus.csv', label: 'Zeus CSV', render: (results) => toZeusCsv(results) })
}

export default (ctx: ReporterContext): Reporter => createZeusCsvReporter(ctx)
