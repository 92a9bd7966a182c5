/**
 * One zod schema for what a user writes, shared by llem.config.ts, describe()/bench() options and CLI
 * flags. Every key is optional here ("config as written"); defaults.ts fills every key ("config as
 * resolved"). Objects are strict so a typo is an error with a suggestion, never silently ignored.
 */
import { z } from 'zod'
import { datasetOptionsSchema } from '../workload/dataset-schema.js'
import { lengthSpecSchema } from '../workload/lengths-schema.js'

const posInt = () => z.int().positive()

/** `backend: 'llama-cpp'` or `backend: { name: 'llama-cpp', threads: 1 }`; the rest is the plugin's. */
export const backendSpecSchema = z.union([
  z.string().min(1),
  z.looseObject({ name: z.string().min(1) }),
])

/** Shared by all backends: an id, a path, or a random-weight model of a given shape. */
export const modelSpecSchema = z.union([
  z.string().min(1),
  z.strictObject({ path: z.string().min(1) }),
  z.strictObject({ random: z.union([z.string().min(1), z.record(z.string(), z.unknown())]) }),
])

export const generationSchema = z.strictObject({
  maxTokens: posInt().optional(),
  temperature: z.number().min(0).optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.int().min(0).optional(),
  seed: z.int().min(0).optional(),
  /** keep generating past end-of-sequence so every request produces exactly maxTokens */
  ignoreEos: z.boolean().optional(),
})

export const loadSchema = z.strictObject({
  /** closed loop with N requests in flight; with `rate`, the cap on requests in flight */
  concurrency: posInt().optional(),
  /** open loop: requests per second ('inf' or Infinity sends all at once); null = closed loop */
  rate: z.union([z.number().positive(), z.literal('inf')]).nullable().optional(),
  /** gamma shape of inter-arrival gaps; 1 = Poisson */
  burstiness: z.number().positive().optional(),
  /** the client's streams on this many worker threads (openai, server, vllm, trtllm); 'auto': from the
   *  planned chunk rate and the cores (core/measure/client-threads-auto.ts); default 1 */
  clientThreads: z.union([z.literal('auto'), posInt()]).optional(),
  /** stop after this many measured requests (null: one pass over the dataset) */
  requests: posInt().nullable().optional(),
  /** stop sending after this many seconds (null: no limit) */
  duration: z.number().positive().nullable().optional(),
  seed: z.int().min(0).optional(),
  /** seconds over which the load ramps up linearly: lanes start one by one (closed loop) or the rate
   *  rises from 0 to `rate` (open loop); the steady-state window starts once the target is reached */
  rampUp: z.number().min(0).optional(),
  /** multi-turn conversations (dataset.multiTurn): ms between a reply's end and the next turn, a number
   *  or a distribution ({ dist: 'uniform', min, max }, ...) drawn per turn (seeded by load.seed) */
  thinkTimeMs: z.union([z.number().min(0), lengthSpecSchema]).optional(),
  /** trace replay: each request is sent at its trace time (dataset format 'mooncake' or 'burstgpt')
   *  after the first's, times timeScale (0.5: twice as fast); load.concurrency still caps what is in flight */
  replay: z.strictObject({ timeScale: z.number().positive().optional() }).optional(),
  /** 'fixed' (default): this load as set. 'sweep': a capacity sweep (one point at 1 in flight, one at
   *  max throughput, then `points` open-loop rates between). 'slo-search': the highest rate (or
   *  concurrency) meeting `slo`, by bisection. Both are run as adaptive series (core/run/series.ts) */
  profile: z.enum(['fixed', 'sweep', 'slo-search']).optional(),
  /** sweep: how many open-loop rates after the two measured ends */
  points: posInt().optional(),
  /** sweep: the top rate as a multiple of the measured max throughput (1: the sweep ends at it) */
  maxRateFactor: z.number().min(1).max(10).optional(),
  /** slo-search: what is searched, the share of requests that must meet `slo`, and when bisection stops */
  search: z
    .strictObject({
      over: z.enum(['rate', 'concurrency']).optional(),
      attainment: z.number().gt(0).max(1).optional(),
      /** rate: requests/s, or a percent of the measured max throughput ('5%'); concurrency: always 1 */
      tolerance: z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?%$/, "a percent such as '5%'")]).optional(),
    })
    .optional(),
  /** open loop: stop sending once the server is over-saturated (queue and TTFT growing over `windowSec`);
   *  null: on for the rate points of a sweep or an SLO search, off otherwise */
  saturation: z.strictObject({ stop: z.boolean().nullable().optional(), windowSec: z.number().positive().optional() }).optional(),
})

export const warmupSchema = z.strictObject({
  /** 'cv': until the coefficient of variation of request latency over `window` is under the threshold */
  mode: z.enum(['cv', 'fixed']).optional(),
  /** requests for mode 'fixed' (0 disables warmup) */
  requests: z.int().min(0).optional(),
  cvThreshold: z.number().positive().optional(),
  window: z.int().min(2).optional(),
  minRequests: z.int().min(0).optional(),
  maxRequests: z.int().min(0).optional(),
})

export const measurementSchema = z.strictObject({
  warmup: warmupSchema.optional(),
  /** probe timeline sampling interval */
  sampleIntervalMs: z.int().min(10).optional(),
  /** which window headline numbers (J/token) use; 'auto': steady_state when it lasts steadyStateMinSeconds, else total */
  headlineWindow: z.enum(['auto', 'total', 'steady_state']).optional(),
  steadyStateMinSeconds: z.number().min(0).optional(),
  /** the least share (0-1) of the steady-state window's time the target concurrency must be in flight */
  steadyStateMinTargetShare: z.number().min(0).max(1).optional(),
  /** keep sending (cycling the dataset past load.requests) until the measured window lasts this many seconds; load.duration still stops it */
  minWindowSec: z.number().min(0).optional(),
  /** warn when the client's event loop is late by more than this (p99, ms) during the window: its token stamps are late by as much */
  clientLoopDelayWarnMs: z.number().positive().optional(),
  /** failed measured requests allowed before the experiment fails: a count (3) or a percent of the requests ('5%') */
  maxFailedRequests: z.union([z.int().min(0), z.string().regex(/^\d+(\.\d+)?%$/, "a percent such as '5%'")]).optional(),
  /** warn when counter energy and integrated instant power differ by more than this many percent */
  energyAgreementPct: z.number().positive().optional(),
  baseline: z
    .strictObject({
      enabled: z.boolean().optional(),
      seconds: z.number().min(0).optional(),
      ttlSeconds: z.number().min(0).optional(),
      /** a device busier than this (utilisation %) is not idle: no baseline is measured on it */
      idleUtilisationPct: z.number().min(0).max(100).optional(),
    })
    .optional(),
  carbon: z
    .strictObject({
      /** ISO 3166 alpha-3 country code for grid carbon intensity; null: world average */
      country: z.string().length(3).nullable().optional(),
      /** g CO2 per kWh, overrides country */
      intensity: z.number().min(0).nullable().optional(),
    })
    .optional(),
})

/** `['rapl', 'cpu-estimate']` or `{ rapl: { root: '/sys/class/powercap' }, 'cpu-estimate': false }` */
export const probesSchema = z.union([
  z.array(z.string().min(1)),
  z.record(z.string().min(1), z.union([z.boolean(), z.record(z.string(), z.unknown())])),
])

/** What a bench (and describe, and the config file) may set for an experiment. */
export const experimentOptionsSchema = z.strictObject({
  backend: backendSpecSchema.optional(),
  model: modelSpecSchema.nullable().optional(),
  dataset: datasetOptionsSchema.nullable().optional(),
  generation: generationSchema.optional(),
  load: loadSchema.optional(),
  measurement: measurementSchema.optional(),
  probes: probesSchema.optional(),
  /** dotted option path -> values; expands into one experiment per point */
  sweep: z.record(z.string().min(1), z.array(z.unknown()).min(1)).optional(),
  sweepMode: z.enum(['grid', 'zip']).optional(),
  repeat: posInt().optional(),
  /** per-experiment time limit in ms (model load and warmup included) */
  timeout: posInt().optional(),
  /** service-level targets: slo_attainment (the share of requests meeting every target that is set) and goodput (those requests per second) */
  slo: z.strictObject({ ttftMs: z.number().positive().nullable().optional(), tpotMs: z.number().positive().nullable().optional(), e2eMs: z.number().positive().nullable().optional(),
    /** the sweep view: the share of requests that must meet every target for a setting to meet the SLO (default 0.99) */
    attainment: z.number().gt(0).max(1).optional() }).optional(),
  /** the sweep view (results.json `pareto`): the latency J/token is traded against, at p50 and p99 (default 'e2e') */
  pareto: z.strictObject({ latency: z.enum(['ttft', 'tpot', 'itl', 'e2e']).optional() }).optional(),
  /** GPUs one process of this experiment needs (null: 1 when the machine has GPUs, else 0) */
  gpus: z.int().min(0).nullable().optional(),
  /** data parallel: the requests are sharded over this many processes, each on its own GPUs */
  parallel: z.strictObject({ data: posInt().optional() }).optional(),
})

// a value written into the sbatch script: a control character (a newline) would add a line to it,
// run by the shell on the compute node (core/slurm/job-script.ts quotes the rest)
// eslint-disable-next-line no-control-regex
const sbatchValue = () => z.string().min(1).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'has a control character (a newline would become a line of the job script): not allowed')

/** Where experiments run: `local` (tinypool workers on this machine's GPU slots) or `slurm` (array jobs). */
export const slurmExecutorSchema = z.strictObject({
  name: z.literal('slurm'),
  partition: sbatchValue().optional(),
  /** GPUs per task (gres gpu:N) for experiments that do not set `gpus`; default 1 */
  gpusPerTask: z.int().min(0).optional(),
  cpusPerTask: posInt().optional(),
  /** --mem, as Slurm writes it: '16G' */
  mem: sbatchValue().optional(),
  /** --time, as Slurm writes it: '02:00:00'; default the longest experiment timeout plus 5 minutes */
  time: sbatchValue().optional(),
  account: sbatchValue().optional(),
  qos: sbatchValue().optional(),
  constraint: sbatchValue().optional(),
  /** more #SBATCH lines, as written: ['--exclusive', '--reservation=bench'] */
  sbatchArgs: z.array(sbatchValue()).optional(),
  /** shell lines before llem starts on the node: ['module load cuda/12.4', 'source ~/venv/bin/activate'] */
  setup: z.array(z.string()).optional(),
  /** how often the submitting llem asks Slurm about the tasks (default 2000 ms) */
  pollIntervalMs: z.int().min(100).optional(),
  /** how a node starts llem (default: this Node binary and this llem's bin/llem.js, which must be on the shared filesystem) */
  command: z.array(sbatchValue()).min(1).optional(),
})
export const executorSchema = z.union([z.enum(['local', 'slurm']), z.strictObject({ name: z.literal('local') }), slurmExecutorSchema])

export const reporterSpecSchema = z.union([
  z.string().min(1),
  z.tuple([z.string().min(1), z.record(z.string(), z.unknown())]),
  // an inline reporter is used as is: a class instance keeps its prototype's hooks (an object schema
  // would copy its own keys only, and the hooks would be gone without a word)
  z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'expected a reporter name, [name, options] or a reporter object' }),
])

/** llem.config.ts: the experiment options plus keys that only make sense for a whole run. */
export const configSchema = experimentOptionsSchema.extend({
  include: z.array(z.string().min(1)).optional(),
  exclude: z.array(z.string().min(1)).optional(),
  reporters: z.array(reporterSpecSchema).optional(),
  /** where a file reporter writes: one path, or reporter name -> path */
  outputFile: z.union([z.string().min(1), z.record(z.string(), z.string().min(1))]).optional(),
  resultsDir: z.string().min(1).optional(),
  cacheDir: z.string().min(1).optional(),
  /** stop after this many failed experiments (0: never) */
  bail: z.int().min(0).optional(),
  /** which GPUs llem may use: 'all', or indices / GPU-UUIDs (CLI: --gpus 0,1) */
  devices: z.union([z.literal('all'), z.array(z.union([z.int().min(0), z.string().min(1)]))]).optional(),
  /** experiments running at once (default: as many as the GPU slots allow; 1 on a CPU-only machine) */
  maxParallel: posInt().optional(),
  /** the order of experiments and their repeats: grouped (a, a, b, b), interleaved (a, b, a, b), shuffled (seeded) */
  order: z.enum(['grouped', 'interleaved', 'shuffled']).optional(),
  orderSeed: z.int().min(0).optional(),
  /** a pause between experiments on the same GPUs: fixed seconds, and/or until every GPU is within
   *  `temperatureMarginC` of its idle temperature (at most maxSeconds) */
  cooldown: z
    .strictObject({ seconds: z.number().min(0).optional(), temperatureMarginC: z.number().positive().optional(), maxSeconds: z.number().positive().optional() })
    .optional(),
  /** where experiments run: 'local' (default) or 'slurm' / { name: 'slurm', partition, ... } */
  executor: executorSchema.optional(),
  /** whether a bench or suite marked `.only` may narrow the run (default: yes, except when CI is set;
   *  CLI: --allowOnly). Refused, a forgotten `.only` cannot silently skip the rest of its file in CI. */
  allowOnly: z.boolean().optional(),
  /** exit 0 (with a message) when no bench file or no bench matches, instead of 1 (CLI: --passWithNoTests) */
  passWithNoTests: z.boolean().optional(),
})

export type ExperimentOptions = z.input<typeof experimentOptionsSchema>
export type LlemConfig = z.input<typeof configSchema>
export type BackendSpec = z.infer<typeof backendSpecSchema>
export type ModelSpec = z.infer<typeof modelSpecSchema>
export type ReporterSpec = z.infer<typeof reporterSpecSchema>
export type SlurmExecutorOptions = z.output<typeof slurmExecutorSchema>
/** a run-only key's checked value, when set (defaults.ts's ResolvedRunOptions fills in the rest) */
export type RunOption<K extends keyof z.output<typeof configSchema>> = NonNullable<z.output<typeof configSchema>[K]>

/** Keys whose value is replaced as a whole by a higher layer, never merged key by key (backend and
 *  dataset merge unless the higher layer names another backend or another source: layers.ts). */
export const ATOMIC_KEYS = new Set(['model', 'sweep', 'include', 'exclude', 'reporters', 'outputFile', 'devices'])
/** Keys of configSchema that are not experiment options: not part of an experiment's effective config. */
export const RUN_ONLY_KEYS = new Set(['include', 'exclude', 'reporters', 'outputFile', 'resultsDir', 'cacheDir', 'bail', 'devices', 'maxParallel', 'order', 'orderSeed', 'cooldown', 'executor', 'allowOnly', 'passWithNoTests'])
