/**
 * Step 7, late aggregation: the raw results of one experiment (one per process) -> AggregatedResult.
 * Counts and energies add up; latency statistics come from the concatenated raw samples, never from
 * averaging percentiles. With one process this is a faithful copy plus the statistics.
 */
import { emissionsKg } from '../measure/emissions.js'
import { CONF_RANK, METHOD_RANK } from '../measure/energy-metrics.js'
import { latencyStatistics } from '../measure/latency.js'
import { SCHEMA_VERSION, type AggregatedResult, type RawProcessResult } from './schema.js'

const sum = (xs: (number | null | undefined)[]) => (xs.some((x) => x === null || x === undefined) ? null : (xs as number[]).reduce((a, b) => a + b, 0))

export function aggregate(raws: RawProcessResult[]): AggregatedResult {
  if (raws.length === 0) throw new Error('aggregate() needs at least one raw result')
  const first = raws[0]
  const done = raws.filter((r) => r.status === 'completed' && r.inference_metrics)
  const status = raws.every((r) => r.status === 'completed') ? 'completed' : raws.some((r) => r.status === 'interrupted') ? 'interrupted' : 'failed'
  const warnings: string[] = []
  const starts = raws.map((r) => Date.parse(r.timestamps.start))
  const ends = raws.map((r) => Date.parse(r.timestamps.end))
  const overlap = raws.length === 1 || Math.max(...starts) < Math.min(...ends)
  if (!overlap) warnings.push('process windows do not overlap in time: throughput over the union of windows understates the parallel rate')
  // by UUID: each worker sees its own GPUs from index 0, so indices repeat across processes
  const devices = raws.flatMap((r) => r.devices.map((d) => d.uuid))
  const attributionOk = new Set(devices).size === devices.length
  if (!attributionOk) warnings.push('a device appears in more than one process: its energy would be counted twice')

  const inf = done.map((r) => r.inference_metrics!)
  const energy = done.map((r) => r.energy_metrics!)
  const outputTokens = inf.reduce((a, m) => a + m.output_tokens, 0)
  const inputTokens = inf.reduce((a, m) => a + m.input_tokens, 0)
  const time = Math.max(0, ...inf.map((m) => m.inference_time_sec))
  // GPU energy adds up (distinct devices, checked above); CPU and RAM probes see the whole host, so
  // processes running side by side on one host each measured the same joules: count them once
  const present = (xs: (number | null)[]) => xs.filter((v): v is number => v !== null)
  const gpuJ = present(energy.map((e) => e.gpu_energy_j))
  const hostJ = (k: 'cpu_energy_j' | 'ram_energy_j') => (present(energy.map((e) => e[k])).length ? Math.max(...present(energy.map((e) => e[k]))) : null)
  const parts = [gpuJ.length ? gpuJ.reduce((a, b) => a + b, 0) : null, hostJ('cpu_energy_j'), hostJ('ram_energy_j')].filter((v): v is number => v !== null)
  // every process must have measured the same components, or a sum would pass off part as whole
  const kinds = (e: (typeof energy)[number]) => Object.keys(e.component_methods).sort().join(',')
  const consistent = energy.every((e) => e.total_energy_j !== null && kinds(e) === kinds(energy[0]))
  if (done.length > 1 && !consistent) warnings.push(`processes measured different energy components (${[...new Set(energy.map(kinds))].join(' / ') || 'none'}): no total energy is reported`)
  const totalEnergy = done.length && consistent ? parts.reduce((a, b) => a + b, 0) : null
  if (done.length > 1 && (hostJ('cpu_energy_j') !== null || hostJ('ram_energy_j') !== null))
    warnings.push('CPU and RAM energy are host-wide: with several processes on one host they are counted once (the largest reading), not summed')
  const requests = inf.reduce((a, m) => a + m.latency_measurements.request_count, 0)
  const lat = inf.map((m) => m.latency_measurements)
  const stats = done.length
    ? latencyStatistics(
        {
          ttft: lat.flatMap((l) => l.ttft_ms),
          itlTrimmed: lat.flatMap((l) => l.itl_trimmed_ms),
          itlFull: lat.flatMap((l) => l.itl_full_ms),
          tpot: done.flatMap((r) => r.requests.map((q) => q.tpot_ms).filter((v): v is number => v !== null)),
          e2e: done.flatMap((r) => r.per_request_latencies_ms),
        },
        lat[0].measurement_mode,
      )
    : null
  const perDevice: Record<string, number> = {}
  for (const r of done) for (const [k, v] of Object.entries(r.energy_per_device_j)) perDevice[raws.length > 1 ? `process_${r.process_index}:${k}` : k] = v
  const method = done.length ? (energy.map((e) => e.method).sort((a, b) => METHOD_RANK[a] - METHOD_RANK[b])[0] ?? 'none') : 'none'
  const confidence = done.length ? (energy.map((e) => e.confidence).sort((a, b) => CONF_RANK[a] - CONF_RANK[b])[0] ?? 'none') : 'none'

  return {
    schema_version: SCHEMA_VERSION,
    llem_version: first.llem_version,
    run_id: first.run_id,
    experiment_id: first.experiment_id,
    experiment_name: first.experiment_name,
    task_hash: first.task_hash,
    bench: first.bench,
    repeat_index: first.repeat_index,
    sweep_point: first.sweep_point,
    status,
    error: raws.find((r) => r.error)?.error ?? null,
    backend: first.backend,
    backend_version: first.backend_version,
    model_name: first.model_name,
    config_name: first.config_name,
    aggregation: { method: raws.length === 1 ? 'single_process' : 'sum_energy_concat_samples', num_processes: raws.length, temporal_overlap_verified: overlap, gpu_attribution_verified: attributionOk, warnings },
    total_tokens: inputTokens + outputTokens,
    total_input_tokens: inputTokens,
    total_output_tokens: outputTokens,
    total_energy_j: totalEnergy,
    total_inference_time_sec: time,
    avg_tokens_per_second: time > 0 ? (inputTokens + outputTokens) / time : 0,
    output_tokens_per_second: time > 0 ? outputTokens / time : 0,
    // one process: its headline window (steady state when long enough); several: the total window
    avg_energy_per_token_j:
      raws.length === 1 && done.length === 1 && done[0].measurement_methodology
        ? done[0].measurement_methodology.headline_energy_per_token_j
        : totalEnergy !== null && outputTokens > 0 ? totalEnergy / outputTokens : null,
    energy_per_request_j: totalEnergy !== null && requests > 0 ? totalEnergy / requests : null,
    total_flops: done.length ? sum(done.map((r) => r.compute_metrics?.flops_total)) : null,
    // from the aggregated energy, so host-wide CPU/RAM joules are not counted once per process
    emissions_kg_co2: totalEnergy !== null && energy[0] ? emissionsKg(totalEnergy, energy[0].carbon_intensity_g_per_kwh) : null,
    energy_method: method,
    energy_confidence: confidence,
    energy_per_device_j: perDevice,
    shared_energy: raws.find((r) => r.shared_energy)?.shared_energy ?? null,
    start_time: new Date(Math.min(...starts)).toISOString(),
    end_time: new Date(Math.max(...ends)).toISOString(),
    effective_config: first.effective_config,
    cli_overrides: first.cli_overrides,
    config_warnings: first.config_warnings,
    parameter_provenance: first.parameter_provenance,
    preset_chain: first.preset_chain,
    latency_stats: stats,
    extended_metrics: raws.length === 1 ? first.extended_metrics : (done[0]?.extended_metrics ?? null),
    environment: first.environment,
    energy_breakdown: raws.length === 1 ? first.energy_breakdown : null,
    thermal_throttle: first.thermal_throttle,
    steady_state_window: raws.length === 1 ? first.steady_state_window : null,
    measurement_methodology: first.measurement_methodology,
    measurement_warnings: [...new Set([...raws.flatMap((r) => r.measurement_warnings), ...warnings])],
    timeseries_path: first.timeseries_path,
    process_results: raws,
  }
}

