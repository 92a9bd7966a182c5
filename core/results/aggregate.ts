/**
 * Step 7, late aggregation: the raw results of one experiment (one per process) -> AggregatedResult.
 * Counts add up; latency statistics come from the concatenated raw samples, never from averaging
 * percentiles. With several processes (data parallel) the measured windows are lined up on the wall
 * clock: throughput is over the union of the windows, and each energy meter (a host's CPU and RAM, a
 * GPU) is counted once over the windows of the processes that read it (combine-energy.ts). With one
 * process this is a faithful copy plus the statistics.
 */
import { emissionsKg } from '../measure/emissions.js'
import { CONF_RANK, METHOD_RANK } from '../measure/energy-metrics.js'
import { latencyStatistics } from '../measure/latency.js'
import { combineEnergy, combineTotalByMeter } from './combine-energy.js'
import { combineExtended, combineThrottle } from './combine-extended.js'
import { SCHEMA_VERSION, type AggregatedResult, type RawProcessResult } from './schema.js'
import { allOverlap, unionSeconds, type Window } from './window-union.js'
import { maxOf, minOf } from '../stats/extent.js'
import { combineWorkload } from '../workload/workload-record.js'
import { aggregateEmbeddingMetrics } from '../measure/embedding-metrics.js'

/** one per-request figure of the successful requests of every process, where it was measured */
const okRequestSamples = (raws: RawProcessResult[], key: 'client_queue_ms' | 'ttft_incl_queue_ms' | 'e2e_incl_queue_ms') =>
  raws.flatMap((r) => r.requests.filter((q) => q.ok).map((q) => q[key]).filter((v): v is number => typeof v === 'number'))
const sum = (xs: (number | null | undefined)[]) => (xs.some((x) => x === null || x === undefined) ? null : (xs as number[]).reduce((a, b) => a + b, 0))
const windowOf = (r: RawProcessResult): Window | null => (r.measured_window ? { start: r.measured_window.start_unix_ms, end: r.measured_window.end_unix_ms } : null)

/** The processes whose figures the experiment's are made of: all of them, or none when one is missing. */
function measuredProcesses(raws: RawProcessResult[]): { completed: RawProcessResult[]; done: RawProcessResult[] } {
  // a process failed only for too many failed requests measured its whole window: its metrics stay, for inspection
  const completed = raws.filter((r) => r.inference_metrics && (r.status === 'completed' || r.error?.code === 'TOO_MANY_FAILED_REQUESTS'))
  // an experiment missing a process is not the experiment: its survivors' sums would pass off part as whole
  return { completed, done: completed.length === raws.length ? completed : [] }
}

/**
 * The experiment's GPU, CPU and RAM energy as aggregate() counts them (each meter once, over the
 * union of the windows of the processes that read it), for a reporter that gives components: the
 * per-process figures of a data-parallel experiment count a host's CPU and RAM once per process.
 */
export function componentEnergy(raws: RawProcessResult[]): { gpu_energy_j: number | null; cpu_energy_j: number | null; ram_energy_j: number | null } {
  const { done } = measuredProcesses(raws)
  if (done.length === 0) return { gpu_energy_j: null, cpu_energy_j: null, ram_energy_j: null }
  const c = combineEnergy(done, done.map(windowOf))
  return { gpu_energy_j: c.gpu_energy_j, cpu_energy_j: c.cpu_energy_j, ram_energy_j: c.ram_energy_j }
}

export function aggregate(raws: RawProcessResult[]): AggregatedResult {
  if (raws.length === 0) throw new Error('aggregate() needs at least one raw result')
  const first = raws[0]
  const multi = raws.length > 1
  const { completed, done } = measuredProcesses(raws)
  const status = raws.every((r) => r.status === 'completed') ? 'completed' : raws.some((r) => r.status === 'interrupted') ? 'interrupted' : 'failed'
  const warnings: string[] = []
  if (multi && done.length === 0 && completed.length > 0)
    warnings.push(`${raws.length - completed.length} of ${raws.length} processes did not complete: the experiment's throughput, energy and latency statistics are not reported (nor its token counts); the completed processes' own figures are in process_results`)

  // windows: each process opens its own after its warmup, so they are judged as measured, not as sessions
  const windows = done.map(windowOf)
  const known = windows.every((w) => w !== null)
  const overlap = !multi || (done.length > 0 && known && allOverlap(windows as Window[]))
  const inf = done.map((r) => r.inference_metrics!)
  const time = done.length === 0 ? 0 : multi && known ? unionSeconds(windows as Window[]) : maxOf(inf.map((m) => m.inference_time_sec))
  if (multi && done.length && !known)
    warnings.push('raw results without measured-window edges (written by an older llem): the processes\' windows cannot be lined up, so throughput is not reported and total_inference_time_sec is the longest window')
  else if (multi && done.length && !overlap)
    warnings.push(`the processes' measured windows do not all overlap in time: they did not all run at once; throughput is over the union of the windows (${time.toFixed(3)} s measuring), not the rate all processes reach together`)
  const rated = done.length > 0 && time > 0 && (!multi || known)

  // by UUID: each worker sees its own GPUs from index 0, so indices repeat across processes
  const devices = raws.flatMap((r) => [...new Set(r.devices.map((d) => d.uuid))])
  const attributionOk = new Set(devices).size === devices.length
  if (!attributionOk) warnings.push('a GPU appears in more than one process: it is counted once, over the union of the measured windows of the processes that read it')

  const energy = done.map((r) => r.energy_metrics!)
  const outputTokens = inf.reduce((a, m) => a + m.output_tokens, 0)
  const inputTokens = inf.reduce((a, m) => a + m.input_tokens, 0)
  const combined = combineEnergy(done, windows)
  warnings.push(...combined.warnings)
  const parts = [combined.gpu_energy_j, combined.cpu_energy_j, combined.ram_energy_j].filter((v): v is number => v !== null)
  // every process must have measured the same components, or a sum would pass off part as whole
  const kinds = (e: (typeof energy)[number]) => Object.keys(e.component_methods).sort().join(',')
  const consistent = energy.every((e) => e.total_energy_j !== null && kinds(e) === kinds(energy[0]))
  if (done.length > 1 && !consistent) warnings.push(`processes measured different energy components (${[...new Set(energy.map(kinds))].join(' / ') || 'none'}): no total energy is reported`)
  // a module (Jetson, Grace Hopper superchip) is the total and holds its components: one process's
  // total is its module's; several processes' modules are combined meter by meter (combine-energy.ts),
  // so a component that cannot be combined leaves the total standing
  const byModule = energy.some((e) => 'module' in e.component_methods)
  if (combined.lost.length) warnings.push(`${combined.lost.join(', ')} energy could not be combined over the processes: ${byModule ? 'it is not reported (the total, from the modules, is)' : 'no total energy is reported'}`)
  const modules = byModule && done.length > 1 && consistent ? combineTotalByMeter(done, windows) : null
  if (modules) warnings.push(...modules.warnings)
  const totalEnergy = !done.length || !consistent ? null : byModule ? (done.length === 1 ? energy[0].total_energy_j : (modules?.energy_j ?? null)) : combined.lost.length ? null : parts.reduce((a, b) => a + b, 0)
  if (done.length > 1 && (combined.cpu_energy_j !== null || combined.ram_energy_j !== null))
    warnings.push('CPU and RAM energy are host-wide: readings of processes on one host are counted once, over the union of their measured windows; readings from different hosts are added')
  const requests = inf.reduce((a, m) => a + m.latency_measurements.request_count, 0)
  const numRequests = inf.reduce((a, m) => a + m.num_requests, 0)
  const numFailed = inf.reduce((a, m) => a + m.num_failed_requests, 0)
  const lat = inf.map((m) => m.latency_measurements)
  const stats = done.length
    ? latencyStatistics(
        {
          ttft: lat.flatMap((l) => l.ttft_ms),
          itlTrimmed: lat.flatMap((l) => l.itl_trimmed_ms),
          itlFull: lat.flatMap((l) => l.itl_full_ms),
          tpot: done.flatMap((r) => r.requests.map((q) => q.tpot_ms).filter((v): v is number => v !== null)),
          e2e: done.flatMap((r) => r.per_request_latencies_ms),
          // open loop: successful requests' client queue and latencies from their scheduled arrival
          queue: okRequestSamples(done, 'client_queue_ms'),
          ttftInclQueue: okRequestSamples(done, 'ttft_incl_queue_ms'),
          e2eInclQueue: okRequestSamples(done, 'e2e_incl_queue_ms'),
        },
        lat[0].measurement_mode,
      )
    : null
  // the worst process's loop: a stamp is as late as the loop that took it
  const loopOf = (k: 'client_loop_delay_p99_ms' | 'client_loop_delay_max_ms') => {
    const v = lat.map((l) => l[k]).filter((x): x is number => typeof x === 'number')
    return v.length ? maxOf(v) : null
  }
  if (stats) Object.assign(stats, { client_loop_delay_p99_ms: loopOf('client_loop_delay_p99_ms'), client_loop_delay_max_ms: loopOf('client_loop_delay_max_ms') })
  const perDevice: Record<string, number> = {}
  const perDeviceUnc: Record<string, number> = {}
  for (const r of done) {
    for (const [k, v] of Object.entries(r.energy_per_device_j)) perDevice[multi ? `process_${r.process_index}:${k}` : k] = v
    for (const [k, v] of Object.entries(r.energy_per_device_uncertainty_j ?? {})) perDeviceUnc[multi ? `process_${r.process_index}:${k}` : k] = v
  }
  const method = done.length ? (energy.map((e) => e.method).sort((a, b) => METHOD_RANK[a] - METHOD_RANK[b])[0] ?? 'none') : 'none'
  const confidence = done.length ? (energy.map((e) => e.confidence).sort((a, b) => CONF_RANK[a] - CONF_RANK[b])[0] ?? 'none') : 'none'
  // embeddings generate nothing: no output rate, rather than 0 tokens/s
  const outTps = rated && !done.some((r) => r.embedding_metrics) ? outputTokens / time : null
  // one process: its own intervals. Several: each meter's readings combined as its energy was
  // (combine-energy.ts): independent meters and edges in quadrature, and a worst-case bound for each
  // share pro-rated over partly overlapping windows, from the power range the process measured
  const single = !multi && done.length === 1 ? done[0] : null
  const totalUncOf = modules?.uncertainty ?? combined.uncertainty
  const totalUnc = totalEnergy === null ? null : single ? (single.energy_metrics?.total_energy_uncertainty_j ?? null) : multi ? totalUncOf.half_width_j : null
  if (multi && done.length && totalEnergy !== null && totalUncOf.half_width_j === null)
    warnings.push(`energy uncertainty is not combined over these data-parallel processes (${totalUncOf.reason}): each process states its own (process_results[].energy_metrics.total_energy_uncertainty_j)`)
  if (multi && totalUnc !== null && 'prorating_bound_j' in totalUncOf && totalUncOf.prorating_bound_j > 0)
    warnings.push(`the energy interval includes ${totalUncOf.prorating_bound_j.toFixed(3)} J for the pro-rated shares of partly overlapping windows: the most the power each process measured could move their mean (align the processes' windows to remove it)`)
  // one process: its headline window (steady state when long enough); several: the union of the windows
  const perToken =
    !multi && done.length === 1 && done[0].measurement_methodology
      ? done[0].measurement_methodology.headline_energy_per_token_j
      : totalEnergy !== null && outputTokens > 0 ? totalEnergy / outputTokens : null

  let extended = multi ? null : first.extended_metrics
  if (multi) {
    const e = combineExtended(done, { outputTokens, outputTokensPerSecond: outTps, totalEnergyJ: totalEnergy, unionSec: rated ? time : 0, gpuShared: !attributionOk })
    extended = e.extended
    warnings.push(...e.warnings)
  }
  const mm = done[0]?.measurement_methodology ?? null
  const methodology: AggregatedResult['measurement_methodology'] = !multi
    ? first.measurement_methodology
    : mm && {
        ...mm,
        energy_method: method,
        energy_confidence: confidence,
        energy_probes: [...new Set(energy.flatMap((e) => e.probes))],
        windows: ['total'],
        headline_window: 'total',
        headline_reason: `data parallel (${raws.length} processes): total energy over the union of the measured windows; there is no combined steady state`,
        headline_energy_per_token_j: perToken,
        // the experiment's, as its headline is: process 0's own would be over its window alone
        headline_energy_per_token_uncertainty_j: perToken !== null && totalUnc !== null && outputTokens > 0 ? totalUnc / outputTokens : null,
        timeline_samples: done.reduce((a, r) => a + (r.measurement_methodology?.timeline_samples ?? 0), 0),
        ...samplerOfAll(done),
      }

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
    ...(first.series ? { series: first.series } : {}),
    status,
    error: raws.find((r) => r.error)?.error ?? null,
    backend: first.backend,
    backend_version: first.backend_version,
    model_name: first.model_name,
    config_name: first.config_name,
    aggregation: { method: multi ? 'sum_energy_concat_samples' : 'single_process', num_processes: raws.length, temporal_overlap_verified: overlap, gpu_attribution_verified: attributionOk, warnings },
    // nothing whole measured: no counts, rather than 0 or the survivors' share
    total_tokens: done.length ? inputTokens + outputTokens : null,
    total_input_tokens: done.length ? inputTokens : null,
    total_output_tokens: done.length ? outputTokens : null,
    num_requests: numRequests,
    num_failed_requests: numFailed,
    failed_request_share: numRequests > 0 ? numFailed / numRequests : null,
    total_energy_j: totalEnergy,
    total_energy_uncertainty_j: totalUnc,
    avg_energy_per_token_uncertainty_j: perToken === null ? null : single ? (single.measurement_methodology?.headline_energy_per_token_uncertainty_j ?? null) : totalUnc !== null && outputTokens > 0 ? totalUnc / outputTokens : null,
    energy_per_request_uncertainty_j: totalUnc !== null && requests > 0 ? totalUnc / requests : null,
    // nothing measured (no process completed its window): not a zero-second window
    total_inference_time_sec: done.length === 0 ? null : time,
    // nothing measured has no rate: null, never 0
    avg_tokens_per_second: rated ? (inputTokens + outputTokens) / time : null,
    output_tokens_per_second: outTps,
    // successful requests, over the same window as the token rates
    requests_per_second: rated ? requests / time : null,
    avg_energy_per_token_j: perToken,
    energy_per_request_j: totalEnergy !== null && requests > 0 ? totalEnergy / requests : null,
    total_flops: done.length ? sum(done.map((r) => r.compute_metrics?.flops_total)) : null,
    // from the aggregated energy, so host-wide CPU/RAM joules are not counted once per process
    emissions_kg_co2: totalEnergy !== null && energy[0] ? emissionsKg(totalEnergy, energy[0].carbon_intensity_g_per_kwh) : null,
    energy_method: method,
    energy_confidence: confidence,
    energy_per_device_j: perDevice,
    energy_per_device_uncertainty_j: perDeviceUnc,
    shared_energy: sharedEnergy(raws),
    start_time: new Date(minOf(raws.map((r) => Date.parse(r.timestamps.start)))).toISOString(),
    end_time: new Date(maxOf(raws.map((r) => Date.parse(r.timestamps.end)))).toISOString(),
    effective_config: first.effective_config,
    cli_overrides: first.cli_overrides,
    config_warnings: first.config_warnings,
    parameter_provenance: first.parameter_provenance,
    preset_chain: first.preset_chain,
    latency_stats: stats,
    extended_metrics: extended,
    environment: first.environment,
    energy_breakdown: multi ? null : first.energy_breakdown,
    thermal_throttle: multi ? combineThrottle(done) : first.thermal_throttle,
    steady_state_window: multi ? null : first.steady_state_window,
    measurement_methodology: methodology,
    measurement_warnings: [...new Set([...raws.flatMap((r) => r.measurement_warnings), ...warnings])],
    timeseries_path: first.timeseries_path,
    workload: combineWorkload(completed),
    ...embeddingsOf(done, { energyJ: totalEnergy, energyUncertaintyJ: totalUnc, durationSec: rated ? time : 0 }),
    prefill_decode_energy: tokenEnergyOf(raws, done),
    over_saturation: raws.find((r) => r.over_saturation?.over_saturated)?.over_saturation ?? first.over_saturation ?? null,
    process_results: raws,
  }
}

/** an embeddings experiment's figures over the combined energy; nothing for generation */
function embeddingsOf(done: RawProcessResult[], totals: Parameters<typeof aggregateEmbeddingMetrics>[1]): Pick<AggregatedResult, 'embedding_metrics'> {
  const m = aggregateEmbeddingMetrics(done, totals)
  return m === null ? {} : { embedding_metrics: m }
}

/** one process: its fit; several: each process fits its own window and GPUs, which do not add up to one fit */
function tokenEnergyOf(raws: RawProcessResult[], done: RawProcessResult[]): AggregatedResult['prefill_decode_energy'] {
  if (raws.length === 1) return done[0]?.prefill_decode_energy ?? null
  const fits = done.map((r) => r.prefill_decode_energy).filter((f) => f !== null && f !== undefined)
  if (fits.length === 0) return null
  return { ...fits[0], energy_per_prefill_token_j: null, energy_per_prefill_token_uncertainty_j: null, energy_per_decode_token_j: null, energy_per_decode_token_uncertainty_j: null,
    fit: { ...fits[0].fit, reason_if_null: `data parallel (${raws.length} processes): each process fitted its own window and devices; see process_results[].prefill_decode_energy` } }
}

/** every process's overlap with other experiments (each on its own host or window), merged: one process's list is not the experiment's */
function sharedEnergy(raws: RawProcessResult[]): AggregatedResult['shared_energy'] {
  const flagged = raws.filter((r) => r.shared_energy)
  if (flagged.length === 0) return null
  const components = [...new Set(flagged.flatMap((r) => r.shared_energy!.components))].sort()
  const withExperiments = [...new Set(flagged.flatMap((r) => r.shared_energy!.with_experiments))].sort()
  return { components, with_experiments: withExperiments }
}

/** Data parallel: the worst process's sampler jitter, longest gap and edge reads, and the event loop where any process sampled on
 *  it (with its reason): one process's figures must not stand for the others'. */
function samplerOfAll(done: RawProcessResult[]): Partial<NonNullable<RawProcessResult['measurement_methodology']>> {
  const mms = done.map((r) => r.measurement_methodology).filter((m) => m != null)
  const jitters = mms.map((m) => m.sample_interval_jitter_p99_ms).filter((j): j is number => typeof j === 'number')
  const gaps = mms.map((m) => m.sample_interval_max_gap_ms).filter((g): g is number => typeof g === 'number')
  const reads = mms.map((m) => m.edge_read_ms).filter((r) => r !== undefined)
  const worst = (i: 0 | 1) => reads.reduce<number | null>((a, r) => (r[i] === null ? a : Math.max(a ?? 0, r[i])), null)
  const onLoop = mms.find((m) => m.sampler === 'event-loop')
  const kinds = mms.map((m) => m.sampler).filter((k) => k !== undefined)
  return {
    ...(jitters.length ? { sample_interval_jitter_p99_ms: jitters.reduce((a, b) => Math.max(a, b), 0) } : {}),
    ...(gaps.length ? { sample_interval_max_gap_ms: gaps.reduce((a, b) => Math.max(a, b), 0) } : {}),
    ...(reads.length ? { edge_read_ms: [worst(0), worst(1)] as [number | null, number | null] } : {}),
    ...(onLoop ? { sampler: 'event-loop' as const, sampler_reason: onLoop.sampler_reason ?? null } : kinds.length ? { sampler: 'worker-thread' as const, sampler_reason: null } : {}),
  }
}
