/**
 * The ML.ENERGY benchmark's layout (or, with `layout: 'v3'`, the Benchmark V3 raw layout its data
 * toolkit loads: lib/mlenergy-v3.ts): a results.json per experiment (run-level numbers, then one entry
 * per request with seconds for latencies and joules for energy) under
 * `{outputDir}/{model_id}/{gpu}/{experiment}+{n}req+{seed}seed+{max_num_seqs}max_num_seqs/`, and the
 * leaderboard's configuration entries per bench in `{outputDir}/leaderboard/{bench}.json`. Energy is
 * steady-state energy by ML.ENERGY's rule (lib/mlenergy-window.ts), a request's energy is J/token x
 * its output length, and every entry says whether it passes ML.ENERGY's stability rule and why not.
 * Only completed experiments have numbers to write; failed ones are left out.
 */
import path from 'node:path'
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { percentilesInPlace, writeFileAtomic, slug } from 'llem/plugin'
import { forEachLimited, isRecord, pathSegment, writeFileReplace } from './lib/files.js'
import { mlEnergySteadyState, type SteadyState } from './lib/mlenergy-window.js'
import { prometheusJson, v3Place, V3Configs } from './lib/mlenergy-v3.js'
import { promptLookup, requestRows, type PromptLookup } from './lib/request-rows.js'

/** ML.ENERGY's stability rule */
export const MIN_STEADY_STATE_SEC = 20
export const MIN_BATCH_UTILISATION = 0.85

/** What llem cannot know about a model (MoE active parameters, a display name), given per model id in the options. */
export interface ModelInfo {
  nickname?: string
  total_params_billions?: number
  activated_params_billions?: number
  architecture?: string
  weight_precision?: string
}

export interface MlEnergyOptions {
  outputDir: string
  runDir: string
  rootDir: string
  models?: Record<string, ModelInfo>
  /** 'benchmark' (default): the benchmark's own results tree; 'v3': the Benchmark V3 raw layout that
   *  ML.ENERGY's data toolkit loads (lib/mlenergy-v3.ts) */
  layout?: MlEnergyLayout
  /** told what the V3 layout cannot hold (experiments disagreeing on one model's config files) */
  note?: (line: string) => void
}

export const MLENERGY_LAYOUTS = ['benchmark', 'v3'] as const
export type MlEnergyLayout = (typeof MLENERGY_LAYOUTS)[number]

/**
 * The median, p90, p95 and p99 of every ITL of the experiment (numpy's linear percentiles, as
 * core/stats/summary.ts computes them), by selection over one typed array: no sort of thousands of
 * values per experiment. Nulls when there is no ITL.
 */
function itlPercentiles(r: AggregatedResult): Array<number | null> {
  const lists = r.process_results.map((p) => p.inference_metrics?.latency_measurements.itl_full_ms ?? [])
  const n = lists.reduce((a, l) => a + l.length, 0)
  if (n === 0) return [null, null, null, null]
  const all = new Float64Array(n)
  let at = 0
  // set() copies directly; Float64Array.from would go through the iterator protocol
  for (const l of lists) all.set(l, (at += l.length) - l.length)
  return percentilesInPlace(all, n, [50, 90, 95, 99])
}

/** ms -> s, rounded to the nanosecond: the division would otherwise print float noise (0.002356322000000091) in every ITL */
const seconds = (ms: number) => Math.round(ms * 1e6) / 1e9

const cfg = (r: AggregatedResult, key: string): Record<string, unknown> => (isRecord(r.effective_config[key]) ? (r.effective_config[key] as Record<string, unknown>) : {})
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** The server's batch cap when the backend has one (vLLM max_num_seqs, TensorRT-LLM max_batch_size), else llem's concurrency cap. */
export function maxNumSeqs(r: AggregatedResult): number {
  const b = cfg(r, 'backend')
  return num(b.maxNumSeqs) ?? num(b.maxBatchSize) ?? num(cfg(r, 'load').concurrency) ?? 1
}

function devicesOf(r: AggregatedResult) {
  const seen = new Map<string, string>()
  for (const p of r.process_results) for (const d of p.devices) seen.set(d.uuid, d.name)
  return [...seen.values()]
}

/** Why a run fails the stability rule; empty when it passes. */
export function unstableReasons(steady: SteadyState | null, reason: string | null, maxSeqs: number): string[] {
  if (!steady) return [reason ?? 'no steady state']
  const out: string[] = []
  if (steady.duration < MIN_STEADY_STATE_SEC) out.push(`steady state lasted ${steady.duration.toFixed(1)} s (< ${MIN_STEADY_STATE_SEC} s)`)
  if (steady.energyPerToken === null || steady.energyPerToken <= 0) out.push(`energy per token is ${steady.energyPerToken === null ? 'unknown (no tokens in the steady state)' : `${steady.energyPerToken} J`}: not positive`)
  const util = steady.avgBatchSize / maxSeqs
  if (util < MIN_BATCH_UTILISATION) out.push(`average batch size ${steady.avgBatchSize.toFixed(2)} is ${(util * 100).toFixed(0)}% of max_num_seqs ${maxSeqs} (< ${MIN_BATCH_UTILISATION * 100}%)`)
  return out
}

/** One request of results.json, in ML.ENERGY's field order. */
export interface MlEnergyRequest {
  prompt: string | null
  output_text: null
  input_len: number
  output_len: number
  ttft: number | null
  itl: number[] | null
  latency: number | null
  energy: number | null
  success: boolean
  error: string
}

const numberJson = (v: number | null): string => (v !== null && Number.isFinite(v) ? String(v) : 'null')

/**
 * JSON.stringify(request), byte for byte, written out by hand: Node 20's JSON.stringify turns a
 * fractional number into text ~4x slower than Array.prototype.join does (the same shortest
 * round-trip digits), and the ITLs in seconds are most of the file (3,100 per experiment of 100
 * requests: ~0.25 s of a 1,000-experiment run's ML.ENERGY report, `npm run perf -- formats`).
 */
export function requestJson(q: MlEnergyRequest): string {
  let itl = 'null'
  if (q.itl !== null) itl = q.itl.every(Number.isFinite) ? `[${q.itl.join(',')}]` : JSON.stringify(q.itl)
  return `{"prompt":${q.prompt === null ? 'null' : JSON.stringify(q.prompt)},"output_text":null,"input_len":${numberJson(q.input_len)},"output_len":${numberJson(q.output_len)},"ttft":${numberJson(q.ttft)},"itl":${itl},"latency":${numberJson(q.latency)},"energy":${numberJson(q.energy)},"success":${q.success},"error":${JSON.stringify(q.error)}}`
}

/** JSON.stringify(doc) + '\n' with the requests (the document's last member) written by requestJson. */
function resultsJson(doc: { results: MlEnergyRequest[] } & Record<string, unknown>): string {
  const { results, ...head } = doc
  return `${JSON.stringify(head).slice(0, -1)},"results":[${results.map(requestJson).join(',')}]}\n`
}

interface Written {
  file: string
  entry: Record<string, unknown>
}

async function writeExperiment(r: AggregatedResult, opts: MlEnergyOptions, prompts: PromptLookup, v3: { configs: V3Configs; order: number } | null): Promise<Written> {
  const maxSeqs = maxNumSeqs(r)
  const { steady, reason } = await mlEnergySteadyState(r, opts.runDir, maxSeqs)
  const perToken = steady?.energyPerToken ?? null
  const gpus = devicesOf(r)
  const texts = await prompts(r)
  const load = cfg(r, 'load')
  const rows = requestRows(r)
  const requestEnergies = rows.map(({ record: q }) => (perToken !== null && q.ok ? perToken * q.output_tokens : null))
  const doc = {
    model_id: r.model_name,
    gpu_model: gpus[0] ?? null,
    num_gpus: gpus.length,
    max_num_seqs: maxSeqs,
    num_prompts: rows.length,
    completed: rows.filter((x) => x.record.ok).length,
    duration: r.total_inference_time_sec,
    steady_state_duration: steady?.duration ?? null,
    steady_state_energy: steady?.energy ?? null,
    steady_state_energy_per_token: perToken,
    output_throughput: r.output_tokens_per_second,
    total_output_tokens: r.total_output_tokens,
    // as vLLM and ML.ENERGY write an unlimited rate: the string "inf" (JSON has no Infinity)
    request_rate: load.rate === null || load.rate === undefined || load.rate === 'inf' ? 'inf' : load.rate,
    burstiness: num(load.burstiness),
    max_concurrency: num(load.concurrency),
    results: rows.map(({ record: q, itlMs }, i): MlEnergyRequest => ({
      prompt: texts?.get(q.prompt_id) ?? null,
      // llem does not keep generated text
      output_text: null,
      input_len: q.input_tokens,
      output_len: q.output_tokens,
      ttft: q.ttft_ms === null ? null : seconds(q.ttft_ms),
      itl: itlMs ? itlMs.map(seconds) : null,
      latency: q.e2e_ms === null ? null : seconds(q.e2e_ms),
      energy: requestEnergies[i],
      success: q.ok,
      error: q.error ?? '',
    })),
  }
  const place = v3 ? v3Place(opts.outputDir, r, slug(r.bench.full_name), gpus, maxSeqs, rows.length) : null
  const parts = [pathSegment(r.experiment_id), `${rows.length}req`, `${String(cfg(r, 'dataset').seed ?? 0)}seed`, `${maxSeqs}max_num_seqs`]
  const file = place ? path.join(place.dir, 'results.json') : path.join(opts.outputDir, ...r.model_name.split('/').filter(Boolean).map(pathSegment), pathSegment(gpus[0] ?? 'cpu'), parts.join('+'), 'results.json')
  const info = opts.models?.[r.model_name] ?? {}
  const entry = leaderboardEntry(r, doc, steady, reason, gpus, path.relative(opts.outputDir, file), info)
  if (v3 && place) {
    // the model's family label (Dense, MoE) only from the options: the model file's (llama) is another thing
    v3.configs.add(place, r, { nickname: info.nickname, total_params_billions: entry.total_params_billions as number | null, activated_params_billions: entry.activated_params_billions as number | null, architecture: info.architecture, weight_precision: entry.weight_precision as string | null }, v3.order)
    await writeFileReplace(path.join(place.dir, 'prometheus.json'), prometheusJson(steady?.avgBatchSize ?? null))
  }
  // the document is done with before the write: eight experiments in flight each keep only their text
  // across it, not a hundred request objects that would outlive young-generation collections
  await writeFileReplace(file, resultsJson(doc))
  return { file, entry }
}

function leaderboardEntry(r: AggregatedResult, doc: { max_num_seqs: number; results: Array<{ energy: number | null; success: boolean; output_len: number }> }, steady: SteadyState | null, reason: string | null, gpus: string[], resultsPath: string, info: ModelInfo): Record<string, unknown> {
  const backend = cfg(r, 'backend')
  const [p50, p90, p95, p99] = itlPercentiles(r)
  const ok = doc.results.filter((q) => q.success)
  const params = r.process_results.find((p) => p.model_load?.parameters != null)?.model_load?.parameters ?? null
  const reasons = unstableReasons(steady, reason, doc.max_num_seqs)
  const energies = doc.results.map((q) => q.energy)
  return {
    model_id: r.model_name,
    nickname: info.nickname ?? r.model_name,
    gpu_model: gpus[0] ?? null,
    num_gpus: gpus.length,
    total_params_billions: info.total_params_billions ?? (params !== null ? params / 1e9 : null),
    activated_params_billions: info.activated_params_billions ?? null,
    architecture: info.architecture ?? r.process_results.find((p) => p.model_load?.architecture)?.model_load?.architecture ?? null,
    weight_precision: info.weight_precision ?? r.process_results.find((p) => p.compute_metrics?.compute_precision)?.compute_metrics?.compute_precision ?? null,
    max_num_seqs: doc.max_num_seqs,
    tensor_parallel: num(backend.tensorParallelSize) ?? num(backend.tpSize),
    expert_parallel: num(backend.epSize),
    data_parallel: num(cfg(r, 'parallel').data) ?? r.process_results.length,
    energy_per_token_joules: steady?.energyPerToken ?? null,
    // ML.ENERGY's energy per generation: failed requests count as zero energy in the mean
    energy_per_request_joules: steady?.energyPerToken != null && energies.length ? energies.reduce<number>((a, e) => a + (e ?? 0), 0) / energies.length : null,
    avg_power_watts: steady?.power ?? null,
    avg_output_len: ok.length ? ok.reduce((a, q) => a + q.output_len, 0) / ok.length : null,
    median_itl_ms: p50,
    p90_itl_ms: p90,
    p95_itl_ms: p95,
    p99_itl_ms: p99,
    output_throughput_tokens_per_sec: r.output_tokens_per_second,
    avg_batch_size: steady?.avgBatchSize ?? null,
    // llem's additions: the stability verdict, and where the entry came from
    stable: reasons.length === 0,
    unstable_reasons: reasons,
    experiment_id: r.experiment_id,
    results_path: resultsPath,
  }
}

/** Writes every completed experiment's results.json and one leaderboard file per bench; returns the files. */
export async function writeMlEnergy(results: readonly AggregatedResult[], opts: MlEnergyOptions): Promise<string[]> {
  const done = results.filter((r) => r.status === 'completed')
  const prompts = promptLookup(opts.rootDir)
  const written: Array<Written & { bench: string; name: string }> = []
  const v3 = opts.layout === 'v3' ? new V3Configs(opts.outputDir) : null
  await forEachLimited(done, 8, async (r, i) => {
    written[i] = { ...(await writeExperiment(r, opts, prompts, v3 && { configs: v3, order: i })), bench: slug(r.bench.full_name), name: r.bench.full_name }
  })
  const tasks = new Map<string, { name: string; configurations: Array<Record<string, unknown>> }>()
  for (const w of written) {
    const t = tasks.get(w.bench) ?? { name: w.name, configurations: [] }
    t.configurations.push(w.entry)
    tasks.set(w.bench, t)
  }
  const files = written.map((w) => w.file)
  for (const [task, t] of tasks) {
    const file = path.join(opts.outputDir, 'leaderboard', `${task}.json`)
    await writeFileAtomic(file, JSON.stringify({ task, task_display_name: t.name, architecture: 'llm', configurations: t.configurations }, null, 2) + '\n')
    files.push(file)
  }
  if (v3) {
    files.push(...(await v3.write()))
    for (const c of v3.conflicts) opts.note?.(`ML.ENERGY V3 layout: ${c}`)
  }
  return files
}

export function createMlEnergyReporter(ctx: ReporterContext): Reporter {
  const results: AggregatedResult[] = []
  const dir = ctx.outputFile ?? path.join(ctx.runDir, 'mlenergy')
  const models = isRecord(ctx.options.models) ? (ctx.options.models as Record<string, ModelInfo>) : undefined
  const layout = ctx.options.layout ?? 'benchmark'
  if (!MLENERGY_LAYOUTS.includes(layout as MlEnergyLayout)) throw new Error(`options.layout: expected one of ${MLENERGY_LAYOUTS.map((l) => `'${l}'`).join(', ')}, got ${JSON.stringify(layout)}`)
  return {
    name: 'mlenergy',
    onExperimentEnd(_info, result) {
      results.push(result)
    },
    async onRunEnd(summary) {
      const all = summary.results.length >= results.length ? summary.results : results
      await writeMlEnergy(all, { outputDir: dir, runDir: summary.runDir || ctx.runDir, rootDir: ctx.rootDir, models, layout: layout as MlEnergyLayout, note: (line) => ctx.stdout.write(`${line}\n`) })
      if (ctx.outputFile !== null) ctx.stdout.write(`ML.ENERGY results written to ${dir}\n`)
    },
  }
}

export default (ctx: ReporterContext): Reporter => createMlEnergyReporter(ctx)
