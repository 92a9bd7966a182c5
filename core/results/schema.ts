/**
 * The result files. Field names follow LLenergyMeasure's RawProcessResult / AggregatedResult (snake_case)
 * so results line up with it and load straight into pandas; llem's additions are marked. Unmeasured
 * numbers are null, never zero. `llem schema` prints the JSON Schema generated from these.
 */
import { z } from 'zod'

export { SCHEMA_VERSION } from './schema-version.js'

const num = z.number()
const nnum = z.number().nullable()

export const statusSchema = z.enum(['completed', 'failed', 'interrupted'])
export const errorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** where it happened: a FailurePhase (core/measure/phases.ts); a string, as older results may hold others */
  phase: z.string(),
  log_tail: z.array(z.string()).optional(),
})

export const latencyModeSchema = z.enum(['TRUE_STREAMING', 'PER_REQUEST_BATCH', 'PROPORTIONAL_ESTIMATE'])

export const latencyMeasurementsSchema = z.object({
  ttft_ms: z.array(num),
  itl_full_ms: z.array(num),
  /** first and last interval of each request dropped */
  itl_trimmed_ms: z.array(num),
  request_count: z.int(),
  total_output_tokens: z.int(),
  excluded_tokens: z.int(),
  streaming_mode: z.boolean(),
  warmup_requests_excluded: z.int(),
  measurement_mode: latencyModeSchema,
  /** llem: how late this process's event loop ran during the window (p99 and max, ms): token times
   *  are stamped on it, so a stamp can be late by that much; absent in older results, null when not measured */
  client_loop_delay_p99_ms: nnum.optional(),
  client_loop_delay_max_ms: nnum.optional(),
  /** llem: the share (0-1) of the window the event loop was busy (Node's event loop utilisation) */
  client_loop_utilisation: nnum.optional(),
  /** llem: load.clientThreads, when it was set: the worker threads the streams ran on (1: the main thread),
   *  how the count was chosen, and each thread's event-loop delay p99 (ms; null: not measured) */
  client_threads: z.int().optional(),
  client_threads_reason: z.string().optional(),
  client_thread_loop_delay_p99_ms: z.array(nnum).optional(),
})

export const requestRecordSchema = z.object({
  index: z.int(),
  prompt_id: z.int(),
  ok: z.boolean(),
  error: z.string().nullable(),
  input_tokens: z.int(),
  output_tokens: z.int(),
  /** llem: the output length asked of the backend (its max tokens); absent in results written before it existed */
  requested_output_tokens: z.int().optional(),
  /** llem: the prompt tokens the server took from its prefix cache, as it reported them
   *  (usage.prompt_tokens_details.cached_tokens); absent when it did not say */
  cached_input_tokens: z.int().optional(),
  /** llem: dataset.synthetic.prefix: which shared prefix the prompt began with; absent otherwise */
  prefix_id: z.int().optional(),
  /** ms from the start of the measured window */
  start_ms: num,
  ttft_ms: nnum,
  e2e_ms: nnum,
  tpot_ms: nnum,
  /** llem, open loop only (null in closed loop; absent in results written before it existed): when the
   *  arrival schedule meant to send the request (ms from window start), how long it then waited in the
   *  client for a free slot under load.concurrency, and TTFT / E2E counted from the scheduled time
   *  (the client's view; ttft_ms / e2e_ms count from the send, the server's view) */
  scheduled_ms: nnum.optional(),
  client_queue_ms: nnum.optional(),
  ttft_incl_queue_ms: nnum.optional(),
  e2e_incl_queue_ms: nnum.optional(),
  /** llem: this request's share of energy, steady-state J/token x its output tokens (ML.ENERGY's rule) */
  energy_j: nnum,
  /** llem, conversations only (dataset.multiTurn): the conversation (its place in the load; `index` is
   *  the same for all its turns), the turn (1-based) and the think time waited before it (ms) */
  conversation_id: z.int().optional(),
  turn: z.int().optional(),
  think_time_ms: num.optional(),
})

export const inferenceMetricsSchema = z.object({
  total_tokens: z.int(),
  input_tokens: z.int(),
  output_tokens: z.int(),
  inference_time_sec: num,
  /** (input + output) tokens per second, as LLenergyMeasure; null when the window has no duration */
  tokens_per_second: nnum,
  output_tokens_per_second: nnum,
  requests_per_second: nnum,
  latency_per_token_ms: nnum,
  time_to_first_token_ms: nnum,
  num_requests: z.int(),
  num_failed_requests: z.int(),
  /** llem: num_failed_requests / num_requests (null without requests); absent in results written before it existed */
  failed_request_share: nnum.optional(),
  latency_measurements: latencyMeasurementsSchema,
})

export const nodeEnergySchema = z.object({
  probe: z.string(),
  domain: z.string(),
  method: z.enum(['counter', 'integrated_power']),
  confidence: z.enum(['high', 'medium', 'low']),
  /** null when the BMC's readings do not cover the window (reason says why) */
  energy_j: nnum,
  power_w: nnum,
  components_energy_j: nnum,
  rest_of_node_energy_j: nnum,
  polling_interval_ms: nnum,
  /** the BMC's own averaging window (Redfish PowerMetrics.IntervalInMin, DCMI sampling period) and sensor interval */
  bmc_averaging_interval_sec: nnum,
  bmc_sensing_interval_ms: nnum,
  counter_step_j: nnum,
  reason: z.string().nullable(),
})

export const energyMetricsSchema = z.object({
  total_energy_j: nnum,
  gpu_energy_j: nnum,
  cpu_energy_j: nnum,
  ram_energy_j: nnum,
  gpu_power_w: nnum,
  cpu_power_w: nnum,
  ram_power_w: nnum,
  duration_sec: num,
  emissions_kg_co2: nnum,
  energy_per_token_j: nnum,
  energy_per_request_j: nnum,
  /** llem: how the energy was obtained */
  method: z.enum(['counter', 'integrated_power', 'estimate', 'none']),
  confidence: z.enum(['high', 'medium', 'low', 'none']),
  probes: z.array(z.string()),
  /** llem: per component, how its energy was obtained (a GPU counter, a RAPL counter, a CPU estimate) */
  component_methods: z.record(z.string(), z.object({ probe: z.string(), method: z.enum(['counter', 'integrated_power', 'estimate']), confidence: z.enum(['high', 'medium', 'low']) })),
  carbon_intensity_g_per_kwh: num,
  carbon_intensity_source: z.string(),
  /** llem: 95% uncertainty of each figure above, a half-width in its unit around the figure as
   *  reported (error model v1, docs/methodology.md#uncertainty); null where a domain has no error
   *  model; absent in results written before it existed */
  total_energy_uncertainty_j: nnum.optional(),
  gpu_energy_uncertainty_j: nnum.optional(),
  cpu_energy_uncertainty_j: nnum.optional(),
  ram_energy_uncertainty_j: nnum.optional(),
  energy_per_token_uncertainty_j: nnum.optional(),
  energy_per_request_uncertainty_j: nnum.optional(),
  /** llem: the lowest and highest power (W) of the host's CPU and RAM meters over the window, as 100 ms
   *  block means of the timeline; bounds the pro-rated share of a data-parallel union (aggregation);
   *  null when the window holds no whole block; absent when the meter was not measured or in older results */
  cpu_power_range_w: z.tuple([num, num]).nullable().optional(),
  ram_power_range_w: z.tuple([num, num]).nullable().optional(),
  /** llem: the domains total_energy_j adds up (keys of energy_per_device_j): with a module (Jetson, Grace
   *  Hopper) the modules and any GPU outside them, else every counted GPU, CPU and RAM domain; what a
   *  data-parallel aggregation combines meter by meter. Absent in older results */
  total_domains: z.array(z.string()).optional(),
  /** llem: the total's interval in detail: the known lag of the counter edges (the truth is expected at
   *  total + shift_j), the half-width around that, each term's own half-width, and what was assumed */
  uncertainty: z
    .object({ model: z.string(), shift_j: num, half_width_j: num, low_j: num, high_j: num, terms_j: z.record(z.string(), num), notes: z.array(z.string()) })
    .nullable()
    .optional(),
  /** llem: the whole node's energy from its BMC (probes redfish, ipmi) beside the components' sum, which
   *  total_energy_j stays; rest_of_node_energy_j is the difference. null: no node probe; absent in older results */
  node: nodeEnergySchema.nullable().optional(),
})

export const energyBreakdownSchema = z.object({
  raw_j: nnum,
  adjusted_j: nnum,
  baseline_power_w: nnum,
  baseline_method: z.enum(['fresh', 'cached', 'unavailable', 'disabled']),
  baseline_cache_age_sec: nnum,
  baseline_duration_sec: nnum,
  baseline_samples: z.int().nullable(),
  /** llem: per energy domain (a GPU by UUID, a RAPL package) */
  baseline_power_per_domain_w: z.record(z.string(), num),
  /** llem: each domain's mean power over equal blocks of the baseline (its spread gives the baseline's
   *  standard error); absent when not recorded */
  baseline_block_powers_per_domain_w: z.record(z.string(), z.array(num)).optional(),
  /** llem: 95% half-width of adjusted_j: the raw energy's uncertainty plus the baseline's (its standard
   *  error, sensor accuracy and edges) times the window duration */
  adjusted_uncertainty_j: nnum.optional(),
})

export const computeMetricsSchema = z.object({
  flops_total: nnum,
  flops_per_token: nnum,
  flops_per_second: nnum,
  peak_memory_mb: nnum,
  model_memory_mb: nnum,
  flops_method: z.enum(['architecture', 'parameter', 'none']),
  flops_confidence: z.enum(['high', 'medium', 'low', 'none']),
  compute_precision: z.string().nullable(),
})

export const summarySchema = z.object({ count: z.int(), mean: num, median: num, p90: num, p95: num, p99: num, min: num, max: num, std: num })

export const extendedMetricsSchema = z.object({
  tpot_ms: nnum,
  token_efficiency_index: nnum,
  memory: z.object({ peak_memory_mb: nnum, model_memory_mb: nnum, tokens_per_gb: nnum, rss_peak_mb: nnum, gpu_memory_peak_mb: nnum, source: z.string().optional() }),
  gpu_utilisation: z.object({ sm_utilisation_mean: nnum, memory_bandwidth_utilisation: nnum }),
  batch: z.object({ effective_batch_size: nnum, target_concurrency: z.int().nullable(), padding_overhead: nnum }),
  kv_cache: z.object({ prefix_cache_hit_rate: nnum, kv_cache_usage_mean: nnum }),
  request_latency: z.object({
    e2e_ms: summarySchema.nullable(),
    /** share (0-1) of the measured requests meeting every SLO target that is set */
    slo_attainment: nnum,
    /** vLLM's goodput: requests meeting every target per second of the measured window */
    goodput_requests_per_second: nnum,
  }),
  /** llem: what a serving engine or backend worker reported itself (/metrics scrapes, server log) */
  server: z.record(z.string(), z.unknown()).nullable().optional(),
})

export const windowSchema = z.object({
  start_sec: num,
  end_sec: num,
  duration_sec: num,
  energy_j: nnum,
  output_tokens: z.int(),
  energy_per_token_j: nnum,
  /** llem: the concurrency the window is defined by */
  target_concurrency: z.int(),
  /** llem: time-weighted share (0-1) of the window with target_concurrency in flight; a window below
   *  measurement.steadyStateMinTargetShare is not reported. Absent in results written before it existed */
  at_target_share: num.optional(),
  /** llem: 95% half-widths of energy_j and energy_per_token_j (the window's edges are interpolated on
   *  the timeline, so the edge term uses the sample interval when it is longer than the counter's) */
  energy_uncertainty_j: nnum.optional(),
  energy_per_token_uncertainty_j: nnum.optional(),
})

export const warmupResultSchema = z.object({
  mode: z.enum(['cv', 'fixed']),
  converged: z.boolean(),
  requests: z.int(),
  final_cv: nnum,
  target_cv: nnum,
  window: z.int(),
  /** each warmup request: latency divided by its output tokens */
  latency_per_output_token_ms: z.array(num),
  duration_sec: num,
})

export const modelLoadSchema = z.object({
  load_time_ms: num,
  rss_delta_mb: nnum,
  model_file_size_mb: nnum,
  model_path: z.string().nullable(),
  parameters: z.int().nullable(),
  architecture: z.string().nullable(),
  shape: z.record(z.string(), z.number()).nullable(),
  /** llem: energy spent loading (a managed server's start-up included), kept out of the run's figures */
  energy_j: nnum.optional(),
  energy_per_domain_j: z.record(z.string(), num).optional(),
})

export const deviceSchema = z.object({
  domain: z.string(),
  probe: z.string(),
  /** the device as the host numbers it (NVML's index, as nvidia-smi shows it) */
  index: z.int(),
  driver_index: z.int().nullable(),
  /** llem: its position in the worker's CUDA_VISIBLE_DEVICES (cuda:<n> as the workload saw it); absent in older results */
  cuda_index: z.int().nullable().optional(),
  uuid: z.string(),
  name: z.string(),
  is_mig: z.boolean(),
  mig_profile: z.string().nullable(),
  counter_update_period_ms: nnum,
})

export const energyValidationSchema = z.object({
  threshold_pct: num,
  checks: z.array(z.object({ domain: z.string(), uuid: z.string(), counter_j: num, integrated_j: num, difference_pct: num, agrees: z.boolean() })),
})

export const thermalThrottleSchema = z.object({
  throttled: z.boolean(),
  devices: z.array(
    z.object({
      domain: z.string(),
      uuid: z.string(),
      max_temperature_c: nnum,
      start_temperature_c: nnum,
      end_temperature_c: nnum,
      reasons: z.array(z.object({ reason: z.string(), bit: z.int(), duration_sec: num, first_at_sec: num, last_at_sec: num })),
    }),
  ),
})

export const methodologySchema = z.object({
  energy_method: z.enum(['counter', 'integrated_power', 'estimate', 'none']),
  energy_confidence: z.enum(['high', 'medium', 'low', 'none']),
  energy_probes: z.array(z.string()),
  unavailable_probes: z.record(z.string(), z.string()),
  windows: z.array(z.enum(['total', 'steady_state'])),
  /** the window the headline J/token comes from, and why */
  headline_window: z.enum(['total', 'steady_state']),
  headline_reason: z.string(),
  /** J/token of the headline window: the number to quote */
  headline_energy_per_token_j: nnum,
  /** 95% half-width of headline_energy_per_token_j; absent in results written before it existed */
  headline_energy_per_token_uncertainty_j: nnum.optional(),
  latency_mode: latencyModeSchema,
  sample_interval_ms: z.int(),
  timeline_samples: z.int(),
  /** llem: p99 of how far each gap between timeline samples was from sample_interval_ms (ms): late
   *  samples from a busy machine, or on the event loop a busy client; absent in older results */
  sample_interval_jitter_p99_ms: nnum.optional(),
  sample_interval_max_gap_ms: nnum.optional(),
  /** llem: how long the window's start and end energy reads took (ms): each edge is dated to the middle
   *  of its reads, known to ± half of this, which the energy uncertainty counts; absent in older results */
  edge_read_ms: z.tuple([nnum, nnum]).optional(),
  /** llem: where the measured window's sampler ran: its own thread, or the event loop it shares with the
   *  client (sampler_reason says why); absent in older results */
  sampler: z.enum(['worker-thread', 'event-loop']).optional(),
  sampler_reason: z.string().nullable().optional(),
  warmup: z.string(),
  baseline: z.string(),
  notes: z.array(z.string()),
})

/** llem: the token lengths a workload asked for, how they were drawn, and what the backend produced */
const lengthSummarySchema = z.object({ count: z.int(), mean: num, std: num, min: num, max: num })
const latencySummarySchema = z.object({ count: z.int(), mean: num, median: num, p99: num, max: num })

/** llem: conversations (dataset.multiTurn), over the measured turns */
export const conversationRecordSchema = z.object({
  /** load.thinkTimeMs in long form (fixed 0 when unset) */
  think_time_ms: z.record(z.string(), z.unknown()),
  conversations: z.int(),
  /** conversations whose every sent turn succeeded: the ones conversation_duration_ms covers */
  conversations_all_turns_ok: z.int(),
  turns: z.int(),
  turns_per_conversation_mean: num,
  /** TTFT of first turns and of later ones: a later turn resends the history, which a prefix cache skips */
  ttft_first_turn_ms: latencySummarySchema.nullable(),
  ttft_later_turns_ms: latencySummarySchema.nullable(),
  /** prompt tokens as the server counted them: later turns carry the history */
  input_tokens_first_turn: latencySummarySchema.nullable(),
  input_tokens_later_turns: latencySummarySchema.nullable(),
  /** from the first turn's send to the last reply's end, think times included */
  conversation_duration_ms: latencySummarySchema.nullable(),
})

/** llem: a trace replay (load.replay): how closely the sends kept the trace's times */
export const replayRecordSchema = z.object({
  time_scale: num,
  /** requests sent */
  requests: z.int(),
  /** from the first scheduled send to the last (ms, scaled) */
  trace_span_ms: nnum,
  /** send time less scheduled time per request (ms): timer lateness, and waits under load.concurrency */
  lateness_ms: latencySummarySchema.nullable(),
})

export const workloadSchema = z.object({
  input_lengths: z.object({
    /** synthetic: generated to lengths drawn from `spec`; dataset: the prompts as written; dataset_column: generated to each row's length;
     *  shared_prefix: a prefix from a pool plus a unique suffix (see shared_prefix) */
    source: z.enum(['synthetic', 'dataset', 'dataset_column', 'shared_prefix']),
    /** the distribution as given, long form ({ dist: 'fixed', value: 128 }); null when the dataset's own prompts are used */
    spec: z.record(z.string(), z.unknown()).nullable(),
  }),
  output_lengths: z.object({
    /** generation: generation.maxTokens for every request; distribution: drawn per prompt from `spec`; dataset: the file's lengths or reference replies */
    source: z.enum(['generation', 'distribution', 'dataset']),
    spec: z.record(z.string(), z.unknown()).nullable(),
    /** enforced: the backend was told to ignore end-of-sequence, so each request should produce exactly its
     *  length; capped: the length is only a maximum and a request may stop early */
    mode: z.enum(['enforced', 'capped']),
  }),
  /** dataset.seed: the length draws, shuffle and synthetic text all follow from it */
  seed: z.int(),
  /** dataset.synthetic.prefix: a pool of `count` prefixes of `tokens` tokens each, prompt i beginning with
   *  prefix i mod count (round_robin), then a unique suffix of suffix_tokens; absent otherwise */
  shared_prefix: z.object({ count: z.int(), tokens: z.int(), suffix_tokens: z.record(z.string(), z.unknown()), assignment: z.literal('round_robin') }).optional(),
  /** embeddings (a backend's endpoint 'embeddings'): each request embeds its prompt, no tokens are generated; absent: generation */
  task: z.enum(['generate', 'embeddings']).optional(),
  /** llem: conversations (dataset.multiTurn) and trace replays (load.replay); absent otherwise */
  conversations: conversationRecordSchema.optional(),
  replay: replayRecordSchema.optional(),
  /** over the completed measured requests, as the backend counted them (a server's usage) */
  realised: z.object({
    input_tokens: lengthSummarySchema.nullable(),
    output_tokens: lengthSummarySchema.nullable(),
    requested_output_tokens: lengthSummarySchema.nullable(),
    /** completed requests that produced fewer tokens than they asked for */
    requests_short: z.int(),
    /** the prompt tokens the server reported taking from its cache, over the prompt tokens of the
     *  requests that reported it (their number too); absent when no response said */
    cached_input_tokens: z.int().optional(),
    cached_input_share: nnum.optional(),
    requests_reporting_cached: z.int().optional(),
  }),
})

/** llem: an embeddings workload's figures (core/measure/embedding-metrics.ts): nothing is generated, so
 *  the cost is per embedded (input) token and per request; not_applicable names the output-token
 *  figures that are null and why */
export const embeddingMetricsSchema = z.object({
  requests: z.int(),
  input_tokens: z.int(),
  energy_per_input_token_j: nnum,
  energy_per_input_token_uncertainty_j: nnum,
  energy_per_request_j: nnum,
  requests_per_second: nnum,
  input_tokens_per_second: nnum,
  not_applicable: z.array(z.object({ metric: z.string(), reason: z.string() })),
})

/** llem: energy per prefill (prompt) token and per decode token, fitted over time slices of the window
 *  (core/measure/token-energy-fit.ts, docs/methodology.md); the figures null with fit.reason_if_null
 *  when the data cannot separate them */
export const tokenEnergySchema = z.object({
  energy_per_prefill_token_j: nnum,
  energy_per_prefill_token_uncertainty_j: nnum,
  energy_per_decode_token_j: nnum,
  energy_per_decode_token_uncertainty_j: nnum,
  /** the intercept: the idle baseline's power when one was measured, else fitted */
  idle_power_w: nnum,
  idle_source: z.enum(['baseline', 'fitted']).nullable(),
  fit: z.object({
    method: z.literal('ols_time_slices'),
    slices: z.int(),
    slice_ms: nnum,
    r2: nnum,
    /** correlation of prefill and decode tokens across slices (about zero when idle is the baseline's) */
    collinearity: nnum,
    prefill_tokens: z.int(),
    decode_tokens: z.int(),
    reason_if_null: z.string().nullable(),
  }),
})

/** llem: an experiment of an adaptive series (a capacity sweep, an SLO search): created at run time
 *  from the results of the members before it; `reason` says how its load was decided */
export const seriesSchema = z.object({
  kind: z.enum(['capacity-sweep', 'slo-search']),
  /** the id of the series' first member: one id per series */
  group: z.string(),
  step: z.int(),
  /** members planned in all, when known before the run (a sweep); null for a search */
  of: z.int().nullable(),
  role: z.enum(['synchronous', 'throughput', 'rate', 'concurrency']),
  /** the open-loop rate (requests/s) it ran at; 'inf' for the throughput point; null in closed loop */
  rate: z.union([z.number(), z.literal('inf')]).nullable(),
  concurrency: z.int(),
  /** load.concurrency as set: the most requests in flight of any step */
  cap: z.int(),
  reason: z.string(),
})

/** llem: the over-saturation check of an open-loop window (core/measure/saturation.ts) */
export const saturationSchema = z.object({
  over_saturated: z.boolean(),
  window_sec: num,
  detected_at_sec: nnum,
  queue_growth_per_sec: nnum,
  ttft_growth_ms_per_sec: nnum,
  checks: z.int(),
  dropped_unsent: z.int(),
})

export const provenanceEntrySchema = z.object({ value: z.unknown(), source: z.string(), source_detail: z.string() })

const identity = {
  schema_version: z.string(),
  llem_version: z.string(),
  run_id: z.string(),
  experiment_id: z.string(),
  experiment_name: z.string(),
  task_hash: z.string(),
  /** from_flags: true for a run without a bench file (`llem bench --backend.name ... --model ...`): file '' */
  bench: z.object({ file: z.string(), name: z.string(), full_name: z.string(), location: z.string(), from_flags: z.literal(true).optional() }),
  repeat_index: z.int(),
  sweep_point: z.record(z.string(), z.unknown()),
  /** llem: set on the members of a capacity sweep or SLO search; absent otherwise */
  series: seriesSchema.optional(),
  status: statusSchema,
  error: errorInfoSchema.nullable(),
  backend: z.string(),
  backend_version: z.string().nullable(),
  model_name: z.string(),
  config_name: z.string(),
}

const provenance = {
  effective_config: z.record(z.string(), z.unknown()),
  cli_overrides: z.record(z.string(), z.unknown()),
  config_warnings: z.array(z.string()),
  parameter_provenance: z.record(z.string(), provenanceEntrySchema),
  preset_chain: z.array(z.string()),
}

export const rawProcessResultSchema = z.object({
  ...identity,
  process_index: z.int(),
  gpu_id: z.int().nullable(),
  gpu_name: z.string().nullable(),
  gpu_is_mig: z.boolean(),
  gpu_mig_profile: z.string().nullable(),
  device: z.string(),
  energy_measurement_warning: z.string().nullable(),
  energy_tracking_failed: z.boolean(),
  timestamps: z.object({ start: z.string(), end: z.string(), duration_sec: num }),
  /** llem: the measured window's edges in unix ms (performance.timeOrigin + performance.now()), so the
   *  windows of data-parallel processes can be lined up; absent in results written before it existed */
  measured_window: z.object({ start_unix_ms: num, end_unix_ms: num }).nullable().optional(),
  inference_metrics: inferenceMetricsSchema.nullable(),
  energy_metrics: energyMetricsSchema.nullable(),
  energy_per_device_j: z.record(z.string(), num),
  /** llem: 95% half-width of each device's energy (error model v1); absent in older results, a device
   *  without an error model left out */
  energy_per_device_uncertainty_j: z.record(z.string(), num).optional(),
  energy_breakdown: energyBreakdownSchema.nullable(),
  compute_metrics: computeMetricsSchema.nullable(),
  extended_metrics: extendedMetricsSchema.nullable(),
  measurement_methodology: methodologySchema.nullable(),
  steady_state_window: windowSchema.nullable(),
  measurement_warnings: z.array(z.string()),
  ...provenance,
  per_request_latencies_ms: z.array(num),
  requests: z.array(requestRecordSchema),
  gpu_utilisation_samples: z.array(num),
  /** llem: every accelerator measured, by index, UUID and name */
  devices: z.array(deviceSchema),
  /** llem: set when other experiments ran at the same time: CPU package and RAM energy cannot be split */
  shared_energy: z.object({ components: z.array(z.string()), with_experiments: z.array(z.string()) }).nullable(),
  energy_validation: energyValidationSchema.nullable(),
  environment: z.record(z.string(), z.unknown()).nullable(),
  thermal_throttle: thermalThrottleSchema.nullable(),
  warmup_result: warmupResultSchema.nullable(),
  model_load: modelLoadSchema.nullable(),
  timeseries_path: z.string().nullable(),
  /** llem: everything the backend wrote (a managed server's log, a worker's stderr), relative to the run dir */
  log_path: z.string().nullable().optional(),
  /** llem: the workload's token lengths, asked for and realised; absent in results written before it existed */
  workload: workloadSchema.nullable().optional(),
  /** llem: an embeddings workload's J per embedded token and per request; absent for generation */
  embedding_metrics: embeddingMetricsSchema.nullable().optional(),
  /** llem: energy per prefill and per decode token; absent in results written before it existed */
  prefill_decode_energy: tokenEnergySchema.nullable().optional(),
  /** llem: the over-saturation check's verdict where it ran (open loop, load.saturation); null or absent otherwise */
  over_saturation: saturationSchema.nullable().optional(),
})

export const latencyStatisticsSchema = z.object({
  ttft_mean_ms: nnum, ttft_median_ms: nnum, ttft_p90_ms: nnum, ttft_p95_ms: nnum, ttft_p99_ms: nnum, ttft_min_ms: nnum, ttft_max_ms: nnum, ttft_samples: z.int(),
  itl_mean_ms: nnum, itl_median_ms: nnum, itl_p90_ms: nnum, itl_p95_ms: nnum, itl_p99_ms: nnum, itl_min_ms: nnum, itl_max_ms: nnum, itl_samples: z.int(),
  itl_full_mean_ms: nnum, itl_full_median_ms: nnum, itl_full_p99_ms: nnum, itl_full_samples: z.int(),
  tpot_mean_ms: nnum, tpot_median_ms: nnum,
  /** llem: absent in results written before it existed */
  tpot_p99_ms: nnum.optional(),
  e2e_mean_ms: nnum, e2e_median_ms: nnum, e2e_p90_ms: nnum, e2e_p95_ms: nnum, e2e_p99_ms: nnum, e2e_min_ms: nnum, e2e_max_ms: nnum,
  /** llem, open loop (null in closed loop, absent in older results): the client queue wait for a slot
   *  under load.concurrency, and TTFT / E2E from each request's scheduled time (queue included) */
  client_queue_mean_ms: nnum.optional(), client_queue_median_ms: nnum.optional(), client_queue_p99_ms: nnum.optional(), client_queue_max_ms: nnum.optional(),
  ttft_incl_queue_mean_ms: nnum.optional(), ttft_incl_queue_median_ms: nnum.optional(), ttft_incl_queue_p90_ms: nnum.optional(), ttft_incl_queue_p99_ms: nnum.optional(),
  e2e_incl_queue_mean_ms: nnum.optional(), e2e_incl_queue_median_ms: nnum.optional(), e2e_incl_queue_p90_ms: nnum.optional(), e2e_incl_queue_p99_ms: nnum.optional(),
  /** llem: the client's event-loop delay during the window, p99 and max over every process (ms): how
   *  late a token stamp can be; absent in older results, null when not measured */
  client_loop_delay_p99_ms: nnum.optional(), client_loop_delay_max_ms: nnum.optional(),
  measurement_mode: latencyModeSchema,
})

export const aggregationSchema = z.object({
  method: z.string(),
  num_processes: z.int(),
  temporal_overlap_verified: z.boolean(),
  gpu_attribution_verified: z.boolean(),
  warnings: z.array(z.string()),
})

export const aggregatedResultSchema = z.object({
  ...identity,
  aggregation: aggregationSchema,
  /** null when the experiment is not whole (a data-parallel process did not complete): the survivors'
   *  counts are in process_results, not passed off as the experiment's */
  total_tokens: z.int().nullable(),
  total_input_tokens: z.int().nullable(),
  total_output_tokens: z.int().nullable(),
  /** llem: measured requests over all processes, the failed ones among them and their share (null
   *  without requests); absent in results written before they existed */
  num_requests: z.int().optional(),
  num_failed_requests: z.int().optional(),
  failed_request_share: nnum.optional(),
  total_energy_j: nnum,
  /** llem: 95% half-widths of total_energy_j, avg_energy_per_token_j and energy_per_request_j (null:
   *  not computed, e.g. data parallel; see measurement_warnings) */
  total_energy_uncertainty_j: nnum.optional(),
  avg_energy_per_token_uncertainty_j: nnum.optional(),
  energy_per_request_uncertainty_j: nnum.optional(),
  /** the measured window (s); null when nothing was measured (no process completed its window; results
   *  of llem before 2026-12 wrote 0) */
  total_inference_time_sec: nnum,
  /** null when nothing was measured (no completed process, a data-parallel experiment not whole) */
  avg_tokens_per_second: nnum,
  output_tokens_per_second: nnum,
  /** llem: successful requests per second of the measured window (null as the rates above); absent in
   *  results written before it existed */
  requests_per_second: nnum.optional(),
  /** headline J/token: from the window measurement_methodology.headline_window names */
  avg_energy_per_token_j: nnum,
  energy_per_request_j: nnum,
  total_flops: nnum,
  emissions_kg_co2: nnum,
  energy_method: z.enum(['counter', 'integrated_power', 'estimate', 'none']),
  energy_confidence: z.enum(['high', 'medium', 'low', 'none']),
  energy_per_device_j: z.record(z.string(), num),
  energy_per_device_uncertainty_j: z.record(z.string(), num).optional(),
  shared_energy: z.object({ components: z.array(z.string()), with_experiments: z.array(z.string()) }).nullable(),
  start_time: z.string(),
  end_time: z.string(),
  ...provenance,
  latency_stats: latencyStatisticsSchema.nullable(),
  extended_metrics: extendedMetricsSchema.nullable(),
  environment: z.record(z.string(), z.unknown()).nullable(),
  energy_breakdown: energyBreakdownSchema.nullable(),
  thermal_throttle: thermalThrottleSchema.nullable(),
  steady_state_window: windowSchema.nullable(),
  measurement_methodology: methodologySchema.nullable(),
  measurement_warnings: z.array(z.string()),
  timeseries_path: z.string().nullable(),
  /** llem: as in process_results, realised over every process's requests; absent in older results */
  workload: workloadSchema.nullable().optional(),
  /** llem: as in process_results, over every process's completed requests and the combined energy; absent for generation */
  embedding_metrics: embeddingMetricsSchema.nullable().optional(),
  /** llem: as in process_results (one process), null with the reason for data parallel; absent in older results */
  prefill_decode_energy: tokenEnergySchema.nullable().optional(),
  /** llem: as in process_results; with several processes, the first that found over-saturation */
  over_saturation: saturationSchema.nullable().optional(),
  process_results: z.array(rawProcessResultSchema),
})

export const manifestSchema = z.object({
  schema_version: z.string(),
  llem_version: z.string(),
  run_id: z.string(),
  created_at: z.string(),
  root_dir: z.string(),
  config_file: z.string().nullable(),
  argv: z.array(z.string()),
  environment: z.record(z.string(), z.unknown()),
  /** how the run was scheduled: devices, maxParallel, order, cooldown, bail... */
  run_options: z.record(z.string(), z.unknown()),
  experiments: z.array(z.object({ id: z.string(), name: z.string(), task_hash: z.string(), bench: z.string(), mode: z.enum(['run', 'skip']), effective_config: z.record(z.string(), z.unknown()), bench_file: z.string().optional(), bench_location: z.string().optional(), bench_from_flags: z.literal(true).optional(), repeat_index: z.int().optional(), series: seriesSchema.optional() })),
  /** llem: each adaptive series' outcome (core/run/series.ts), written as it ends; absent without series */
  series: z.array(z.record(z.string(), z.unknown())).optional(),
})

export type RawProcessResult = z.infer<typeof rawProcessResultSchema>
export type AggregatedResult = z.infer<typeof aggregatedResultSchema>
export type LatencyStatistics = z.infer<typeof latencyStatisticsSchema>
export type Manifest = z.infer<typeof manifestSchema>
export type RequestRecord = z.infer<typeof requestRecordSchema>
export type Workload = z.infer<typeof workloadSchema>
export type ErrorInfo = z.infer<typeof errorInfoSchema>
export type SeriesInfo = z.infer<typeof seriesSchema>
export type SaturationInfo = z.infer<typeof saturationSchema>
