/**
 * The rows of a data-parallel scenario (llem's parallel.data: one process per GPU, windows not
 * synchronised): each process's energy over its own window on its own GPU, and the aggregated
 * totals, J/token and throughput over the union of the windows, against the server's record.
 */
import { checkRow, physicsBoundJ, type Row } from './checks.js'
import type { ScenarioRun } from './scenario.js'
import { byTag, quantile, trueEnergyJ } from './truth.js'
import { hostCpuTrueJ } from './host-cpu.js'

export function checkDataParallel(run: ScenarioRun): Row[] {
  const { scenario: s, agg, server } = run
  const n = s.dataParallel ?? 1
  const rows: Row[] = []
  const procs = agg.process_results as Record<string, any>[]
  let energy = 0
  let tokens = 0
  const windows: [number, number][] = []
  for (const p of procs) {
    const a: number = p.measured_window.start_unix_ms
    const b: number = p.measured_window.end_unix_ms
    windows.push([a, b])
    const g = s.gpus.findIndex((_, i) => p.devices[0]?.uuid === `GPU-sim-${i}000`)
    const gpuJ = g < 0 ? NaN : trueEnergyJ(server.segments[g], s.gpus[g].idleW, a, b)
    const bound = g < 0 ? 0 : physicsBoundJ(run, g)
    // a process's own total holds the host CPU over its own window (the aggregate counts it once, below)
    const cpuJ = s.hostCpu ? hostCpuTrueJ(s.hostCpu, run.hostCpuEpochMs!, a, b) : 0
    const e = gpuJ + cpuJ
    energy += gpuJ
    // the process's shard: request i goes to process i mod n; one server record per tag in its window
    const shard = new Set<string>()
    let t = 0
    for (const r of server.requests) {
      const tag = /\brq(\d+)\b/.exec(r.prompt)
      if (!tag || Number(tag[1]) % n !== p.process_index || shard.has(tag[0]) || r.receivedMs < a - 1 || r.receivedMs > b) continue
      shard.add(tag[0])
      t += r.tokenMs.length
    }
    tokens += t
    const em = p.energy_metrics
    rows.push(checkRow(s.name, `process ${p.process_index}: gpu energy (own window)`, 'J', gpuJ, em.gpu_energy_j, { rel: 0.005, bound }, em.gpu_energy_uncertainty_j))
    if (s.hostCpu) rows.push(checkRow(s.name, `process ${p.process_index}: host cpu energy (own window)`, 'J', cpuJ, em.cpu_energy_j, { rel: 0.005 }, em.cpu_energy_uncertainty_j))
    rows.push(checkRow(s.name, `process ${p.process_index}: output tokens`, 'tok', t, p.inference_metrics.output_tokens, { abs: 0 }))
    rows.push(checkRow(s.name, `process ${p.process_index}: J/token (total)`, 'J/tok', e / t, em.energy_per_token_j, { rel: 0.005, bound: bound / t }, em.energy_per_token_uncertainty_j))
  }
  // the aggregate: energies summed, throughput over the union of the windows
  windows.sort((x, y) => x[0] - y[0])
  let unionMs = 0
  let reach = -Infinity
  for (const [a, b] of windows) {
    unionMs += Math.max(0, b - Math.max(a, reach))
    reach = Math.max(reach, b)
  }
  // the host CPU once, over the union of the windows
  if (s.hostCpu) {
    let cpu = 0
    let reachCpu = -Infinity
    for (const [a, b] of windows) {
      const from = Math.max(a, reachCpu)
      if (b > from) cpu += hostCpuTrueJ(s.hostCpu, run.hostCpuEpochMs!, from, b)
      reachCpu = Math.max(reachCpu, b)
    }
    energy += cpu
    rows.push(checkRow(s.name, 'aggregate: host cpu energy (union of windows)', 'J', cpu, agg.total_energy_j - procs.reduce((x, p) => x + p.energy_metrics.gpu_energy_j, 0), { rel: 0.005 }, agg.total_energy_uncertainty_j ?? null))
    // (the aggregate reports no CPU figure of its own: llem's is its total less the processes' GPU joules;
    // its stated interval is the total's, which holds the pro-rated share's bound)
  }
  const bound = physicsBoundJ(run)
  rows.push(checkRow(s.name, 'aggregate: total energy', 'J', energy, agg.total_energy_j, { rel: 0.005, bound }, agg.total_energy_uncertainty_j))
  rows.push(checkRow(s.name, 'aggregate: output tokens', 'tok', tokens, agg.total_output_tokens, { abs: 0 }))
  rows.push(checkRow(s.name, 'aggregate: J/token', 'J/tok', energy / tokens, agg.avg_energy_per_token_j, { rel: 0.005, bound: bound / tokens }, agg.avg_energy_per_token_uncertainty_j))
  rows.push(checkRow(s.name, 'aggregate: output tok/s (union of windows)', 'tok/s', tokens / (unionMs / 1000), agg.output_tokens_per_second, { rel: 0.001 }))
  // TTFT and TPOT against the engine's sends, pooled over the processes
  const tags = byTag(server.requests)
  const d = procs.flatMap((p) => (p.requests as { ok: boolean; prompt_id: number; start_ms: number; ttft_ms: number; tpot_ms: number | null }[]).filter((r) => r.ok).flatMap((r) => {
    const t = tags.get(`rq${r.prompt_id}`)
    return t && t.sends.length ? [{ ttft: t.sends[0].ms - (p.measured_window.start_unix_ms + r.start_ms), llem: r.ttft_ms }] : []
  }))
  if (d.length) rows.push(checkRow(s.name, 'TTFT vs engine send: median', 'ms', quantile(d.map((x) => x.ttft), 0.5), quantile(d.map((x) => x.llem), 0.5), { abs: 5 }))
  const ten = windows.every(([a, b]) => s.gpus.every((g) => b - a >= 10 * g.periodMs))
  for (const r of rows) r.tenUpdates = ten
  return rows
}

/** ms from the first process's window start to the last one's */
export function windowStaggerMs(run: ScenarioRun): number {
  const starts = (run.agg.process_results as { measured_window: { start_unix_ms: number } }[]).map((p) => p.measured_window.start_unix_ms).sort((x, y) => x - y)
  return starts[starts.length - 1] - starts[0]
}
