/**
 * The power timeline of one experiment, from the timeseries CSV the measurement session wrote
 * (`t_sec`, cumulative `energy_j:<domain>` columns, then instant readings). Power columns are the
 * readings in watts: `gpu0_power_w` (NVML), `rapl_<zone>_w` (RAPL), `cpu_estimated_power_w`.
 *
 * A run sampled every 10 ms for ten minutes has 60,000 rows per column: far more than a chart can
 * show, and megabytes per experiment. Downsampling keeps each bucket's minimum and maximum, not its
 * mean, because the spikes are what a power trace is read for and a mean would flatten them.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { AggregatedResult } from 'llem/plugin'
import { coord, escapeHtml } from './escape.js'
import { FRAME, SERIES_COLOURS, frameScales, frameSvg, legendHtml, niceAxis, svgOpen } from './svg-chart.js'

export interface Series {
  name: string
  points: Array<[number, number]>
}

export interface TimelineData {
  /** the CSV files read, relative to the run directory */
  files: string[]
  series: Series[]
  /** rows in the CSVs before downsampling */
  samples: number
}

/** Columns of power in watts; energy, utilisation, temperature and memory columns are not plotted. */
export function isPowerColumn(name: string): boolean {
  return !name.startsWith('energy_j:') && name !== 't_sec' && /_w$/.test(name)
}

export function parseTimeseriesCsv(text: string, prefix = ''): { series: Series[]; rows: number } {
  // split at \n and drop the \r of a \r\n, as split(/\r?\n/) would, without a regex over megabytes
  const raw = text.split('\n')
  const lines: string[] = []
  for (let i = 0; i < raw.length; i++) {
    const l = i < raw.length - 1 && raw[i].endsWith('\r') ? raw[i].slice(0, -1) : raw[i]
    if (l.length > 0) lines.push(l)
  }
  if (lines.length === 0) return { series: [], rows: 0 }
  const header = lines[0].split(',')
  const t = header.indexOf('t_sec')
  if (t < 0) return { series: [], rows: 0 }
  const power = header.flatMap((name, i) => (isPowerColumn(name) ? [{ name, i }] : []))
  const series: Series[] = power.map((c) => ({ name: prefix + c.name, points: [] }))
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',')
    const ts = Number(cells[t])
    if (cells[t] === '' || !Number.isFinite(ts)) continue
    for (let k = 0; k < power.length; k++) {
      const v = cells[power[k].i]
      // an empty cell is a reading the probe did not have at that tick, not a zero
      if (v === undefined || v === '') continue
      const w = Number(v)
      if (Number.isFinite(w)) series[k].points.push([ts, w])
    }
  }
  return { series: series.filter((s) => s.points.length > 0), rows: lines.length - 1 }
}

/** At most `maxPoints` points: per time bucket its lowest and highest reading, in time order. */
export function downsample(points: Array<[number, number]>, maxPoints: number): Array<[number, number]> {
  if (points.length <= maxPoints) return points
  const buckets = Math.max(1, Math.floor(maxPoints / 2))
  const t0 = points[0][0]
  const span = points[points.length - 1][0] - t0 || 1
  const lows: Array<[number, number] | undefined> = []
  const highs: Array<[number, number] | undefined> = []
  for (const p of points) {
    const b = Math.min(buckets - 1, Math.floor(((p[0] - t0) / span) * buckets))
    if (!lows[b] || p[1] < lows[b]![1]) lows[b] = p
    if (!highs[b] || p[1] > highs[b]![1]) highs[b] = p
  }
  const out: Array<[number, number]> = []
  for (let b = 0; b < buckets; b++) {
    const lo = lows[b]
    const hi = highs[b]
    if (!lo || !hi) continue
    if (lo === hi) out.push(lo)
    else out.push(...(lo[0] <= hi[0] ? [lo, hi] : [hi, lo]))
  }
  return out
}

/** The CSVs of an experiment: one per process, as the aggregate and its processes name them. */
export function timeseriesFiles(result: AggregatedResult, runDir: string): string[] {
  const named = [...result.process_results.map((p) => p.timeseries_path), result.timeseries_path].filter((p): p is string => typeof p === 'string' && p.length > 0)
  const files = [...new Set(named)]
  if (files.length === 0) files.push(path.join('timeseries', `${result.experiment_id}.csv`))
  return files.filter((f) => existsSync(path.resolve(runDir, f)))
}

export async function loadTimeline(result: AggregatedResult, runDir: string, maxPoints: number): Promise<TimelineData | null> {
  const files = timeseriesFiles(result, runDir)
  if (files.length === 0) return null
  const series: Series[] = []
  let samples = 0
  for (const [i, file] of files.entries()) {
    // read in one call, not four round trips to libuv's thread pool (open, stat, read, close): on a
    // VM each costs tens of microseconds of this thread's time, and a report reads a thousand timelines
    const parsed = parseTimeseriesCsv(readFileSync(path.resolve(runDir, file), 'utf8'), files.length > 1 ? `process ${i}: ` : '')
    samples += parsed.rows
    series.push(...parsed.series)
  }
  return { files, series: series.map((s) => ({ name: s.name, points: downsample(s.points, maxPoints) })), samples }
}

/** The chart, with the steady-state window shaded when the result has one. */
export function timelineFigure(result: AggregatedResult, data: TimelineData | null): string {
  const head = `<figure class="chart timeline-figure"><figcaption>Power during the measured window</figcaption>`
  if (!data) return `${head}<p class="empty">No power timeline: ${result.status === 'completed' ? 'no timeseries file for this experiment in the run directory' : `the experiment ${result.status} before it was measured`}.</p></figure>`
  if (data.series.length === 0) return `${head}<p class="empty">No power readings in ${escapeHtml(data.files.join(', '))}: no probe reported power for this experiment.</p></figure>`
  const all = data.series.flatMap((s) => s.points)
  const xAxis = niceAxis(all.map((p) => p[0]), { tight: true })
  // power axes start at zero: a 2 W wiggle must not look like a doubling
  const yAxis = niceAxis([0, ...all.map((p) => p[1])])
  const s = frameScales(FRAME, xAxis, yAxis)
  const body: string[] = []
  const ss = result.steady_state_window
  if (ss) {
    const x0 = Math.max(s.x(ss.start_sec), FRAME.left)
    const x1 = Math.min(s.x(ss.end_sec), FRAME.width - FRAME.right)
    if (x1 > x0) body.push(`<rect class="steady-state" x="${coord(x0)}" y="${FRAME.top}" width="${coord(x1 - x0)}" height="${FRAME.height - FRAME.top - FRAME.bottom}"><title>steady state: ${escapeHtml(`${ss.start_sec.toFixed(2)} s to ${ss.end_sec.toFixed(2)} s`)}</title></rect>`)
  }
  body.push(frameSvg(FRAME, xAxis, yAxis, 'time since the measured window began (s)', 'power (W)'))
  for (const [i, series] of data.series.entries()) {
    const pts = series.points.map((p) => `${coord(s.x(p[0]))},${coord(s.y(p[1]))}`).join(' ')
    body.push(`<polyline class="power-line series-${i % SERIES_COLOURS}" points="${pts}" data-series="${escapeHtml(series.name)}" data-points="${series.points.length}"><title>${escapeHtml(series.name)}</title></polyline>`)
  }
  const label = `power timeline of ${result.experiment_name}: ${data.series.map((x) => x.name).join(', ')}`
  const svg = `${svgOpen(FRAME, 'timeline', label, `data-experiment-id="${escapeHtml(result.experiment_id)}" data-samples="${data.samples}"`)}${body.join('')}</svg>`
  const note = `<p class="note">${data.samples} samples from ${escapeHtml(data.files.join(', '))}${ss ? '; shaded: the steady-state window' : ''}.</p>`
  return `${head}${svg}${legendHtml(data.series.map((x) => x.name), 1)}${note}</figure>`
}
