/**
 * lm-evaluation-harness's output layout, so llem's numbers sit beside accuracy results in the tools
 * that read lm-eval files: `{outputDir}/{model_name_sanitized}/results_{date_id}.json` per model and
 * `samples_{task}_{date_id}.jsonl` per task beside it. Benches are tasks (one per sweep point, repeats
 * folded in), llem's metrics are the task metrics under the "none" filter, `_stderr` is the standard
 * error of the mean over repeats (lm-eval's mean_stderr) and "N/A" without them, as lm-eval writes it. Keys that mean nothing for
 * llem carry lm-eval's own "not applicable" values (null, 0, [] or {}); docs/formats.md lists them.
 */
import path from 'node:path'
import type { Reporter, ReporterContext, AggregatedResult } from 'llem/plugin'
import { writeFileAtomicPieces, maxOf, minOf } from 'llem/plugin'
import { forEachLimited, isRecord, pythonLocalIso, writeFileReplace } from './lib/files.js'
import { prettyJsonPieces } from './lib/json-pieces.js'
import { taskSamples } from './lib/lm-eval-samples.js'
import { promptLookup } from './lib/request-rows.js'
import { groupTasks, mean, meanStderr, type TaskGroup } from './lib/task-groups.js'

export interface LmEvalMetric {
  name: string
  higherIsBetter: boolean
  pick: (r: AggregatedResult) => number | null | undefined
}

const perSecond = (j: number | null, s: number) => (j !== null && s > 0 ? j / s : null)

/** llem's task metrics, in the order they appear in each task's results */
export const LM_EVAL_METRICS: readonly LmEvalMetric[] = [
  { name: 'energy_per_token_j', higherIsBetter: false, pick: (r) => r.avg_energy_per_token_j },
  { name: 'energy_per_request_j', higherIsBetter: false, pick: (r) => r.energy_per_request_j },
  { name: 'output_tok_s', higherIsBetter: true, pick: (r) => r.output_tokens_per_second },
  { name: 'ttft_ms_p50', higherIsBetter: false, pick: (r) => r.latency_stats?.ttft_median_ms },
  { name: 'ttft_ms_p90', higherIsBetter: false, pick: (r) => r.latency_stats?.ttft_p90_ms },
  { name: 'ttft_ms_p99', higherIsBetter: false, pick: (r) => r.latency_stats?.ttft_p99_ms },
  { name: 'itl_ms_p50', higherIsBetter: false, pick: (r) => r.latency_stats?.itl_median_ms },
  { name: 'itl_ms_p90', higherIsBetter: false, pick: (r) => r.latency_stats?.itl_p90_ms },
  { name: 'itl_ms_p99', higherIsBetter: false, pick: (r) => r.latency_stats?.itl_p99_ms },
  { name: 'tpot_ms_p50', higherIsBetter: false, pick: (r) => r.latency_stats?.tpot_median_ms },
  { name: 'e2e_ms_p50', higherIsBetter: false, pick: (r) => r.latency_stats?.e2e_median_ms },
  { name: 'e2e_ms_p90', higherIsBetter: false, pick: (r) => r.latency_stats?.e2e_p90_ms },
  { name: 'e2e_ms_p99', higherIsBetter: false, pick: (r) => r.latency_stats?.e2e_p99_ms },
  { name: 'avg_power_w', higherIsBetter: false, pick: (r) => perSecond(r.total_energy_j, r.total_inference_time_sec ?? 0) },
  { name: 'emissions_kg_co2', higherIsBetter: false, pick: (r) => r.emissions_kg_co2 },
]

/** lm-eval's sanitisation: every run of `"<>:/|\?*[]` becomes `__` */
// a model name read from a result must stay one directory: `.` and `..` (a crafted run directory) become '__'
export const sanitizeModelName = (name: string): string => name.replace(/["<>:/|\\?*[\]]+/g, '__').replace(/^\.{1,2}$/, '__')
/** lm-eval's date_id: the ISO time with ':' replaced by '-' */
export const dateId = (d: Date): string => pythonLocalIso(d).replaceAll(':', '-')

export interface LmEvalOptions {
  outputDir: string
  rootDir: string
  /** the time in the file names; default: the end of the last experiment, so re-rendering a run overwrites its files */
  date?: Date
  bootstrapIters?: number
}

/** Writes every model's results file and its tasks' samples; returns the files written. */
export async function writeLmEval(results: readonly AggregatedResult[], opts: LmEvalOptions): Promise<string[]> {
  const date = opts.date ?? lastEnd(results)
  const id = dateId(date)
  const iters = opts.bootstrapIters ?? 1000
  const prompts = promptLookup(opts.rootDir)
  const byModel = new Map<string, AggregatedResult[]>()
  for (const r of results) byModel.set(r.model_name, [...(byModel.get(r.model_name) ?? []), r])
  const written: string[] = []
  const madeDirs = new Set<string>()
  for (const [model, rs] of byModel) {
    const dir = path.join(opts.outputDir, sanitizeModelName(model))
    const tasks = groupTasks(rs)
    const hashes: Record<string, string> = {}
    const counts: Record<string, number> = {}
    await forEachLimited(tasks, 8, async (t) => {
      const samples = await taskSamples(t.results, prompts)
      hashes[t.task] = samples.hash
      counts[t.task] = samples.count
      const file = path.join(dir, `samples_${t.task}_${id}.jsonl`)
      await writeFileReplace(file, samples.text, madeDirs)
      written.push(file)
    })
    const doc = resultsDocument(model, rs, tasks, { hashes, counts, iters })
    const file = path.join(dir, `results_${id}.json`)
    // per task in each section: the document of a thousand tasks is megabytes as one string
    await writeFileAtomicPieces(file, prettyJsonPieces(doc, 2))
    written.push(file)
  }
  return written
}

function lastEnd(results: readonly AggregatedResult[]): Date {
  const ends = results.map((r) => Date.parse(r.end_time)).filter((t) => Number.isFinite(t))
  return ends.length ? new Date(maxOf(ends)) : new Date()
}

/** The value every result agrees on, else null (lm-eval's config describes one evaluation run). */
function shared<T>(rs: readonly AggregatedResult[], pick: (r: AggregatedResult) => T | undefined): T | null {
  const seen = new Set(rs.map((r) => JSON.stringify(pick(r) ?? null)))
  return seen.size === 1 ? ((pick(rs[0]) ?? null) as T | null) : null
}

function taskResults(t: TaskGroup, iters: number): Record<string, unknown> {
  const entry: Record<string, unknown> = { alias: t.alias }
  for (const m of LM_EVAL_METRICS) {
    const values = t.completed.map(m.pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    entry[`${m.name},none`] = values.length ? mean(values) : null
    // as lm-eval: `bootstrap_iters` 0 computes no standard error at all
    entry[`${m.name}_stderr,none`] = (iters > 0 ? meanStderr(values) : null) ?? 'N/A'
  }
  return entry
}

function taskConfig(t: TaskGroup): Record<string, unknown> {
  const r = t.results[0]
  return {
    task: t.task,
    task_alias: t.alias,
    output_type: 'generate_until',
    generation_kwargs: r.effective_config.generation ?? null,
    num_fewshot: 0,
    metric_list: LM_EVAL_METRICS.map((m) => ({ metric: m.name, aggregation: 'mean', higher_is_better: m.higherIsBetter })),
    metadata: {
      version: Number(r.schema_version),
      llem: {
        bench: r.bench,
        task_hash: r.task_hash,
        sweep_point: r.sweep_point,
        experiment_ids: t.results.map((x) => x.experiment_id),
        repeats: t.results.length,
        completed: t.completed.length,
        backend: r.backend,
        backend_version: r.backend_version,
        energy_method: r.energy_method,
        energy_confidence: r.energy_confidence,
        headline_window: r.measurement_methodology?.headline_window ?? null,
        measurement_warnings: [...new Set(t.results.flatMap((x) => x.measurement_warnings))],
        errors: t.results.filter((x) => x.error).map((x) => ({ experiment_id: x.experiment_id, ...x.error })),
        effective_config: r.effective_config,
      },
    },
  }
}

function prettyEnv(r: AggregatedResult): string {
  const env = r.environment ?? {}
  const machine = isRecord(env.machine) ? env.machine : {}
  const os = isRecord(machine.os) ? machine.os : {}
  const cpu = isRecord(machine.cpu) ? machine.cpu : {}
  const gpus = [...new Set(r.process_results.flatMap((p) => p.devices.map((d) => d.name)))]
  const software = isRecord(env.software) ? Object.entries(env.software).map(([k, v]) => `${k} ${String(v)}`) : []
  return [
    `llem ${r.llem_version}`,
    `OS: ${[os.distro, os.platform, os.release, os.arch].filter(Boolean).join(' ') || 'unknown'}`,
    `CPU: ${String(cpu.model ?? 'unknown')}`,
    `GPU: ${gpus.length ? gpus.join(', ') : 'none'}`,
    `Backend: ${r.backend} ${r.backend_version ?? ''}`.trimEnd(),
    ...(software.length ? [`Software: ${software.join(', ')}`] : []),
  ].join('\n')
}

interface Tally {
  hashes: Record<string, string>
  counts: Record<string, number>
  iters: number
}

function resultsDocument(model: string, rs: AggregatedResult[], tasks: TaskGroup[], tally: Tally): Record<string, unknown> {
  const per = <T>(f: (t: TaskGroup) => T) => Object.fromEntries(tasks.map((t) => [t.task, f(t)]))
  const starts = rs.map((r) => Date.parse(r.start_time) / 1000).filter(Number.isFinite)
  const ends = rs.map((r) => Date.parse(r.end_time) / 1000).filter(Number.isFinite)
  const start = starts.length ? minOf(starts) : null
  const end = ends.length ? maxOf(ends) : null
  const first = rs[0]
  const backendOpts = isRecord(first.effective_config.backend) ? Object.entries(first.effective_config.backend).filter(([k]) => k !== 'name') : []
  const env = (r: AggregatedResult) => (isRecord(r.environment) ? r.environment : {})
  const software = (r: AggregatedResult) => (isRecord(env(r).software) ? (env(r).software as Record<string, unknown>) : {})
  return {
    results: per((t) => taskResults(t, tally.iters)),
    groups: {},
    group_subtasks: per(() => []),
    configs: per(taskConfig),
    versions: per((t) => Number(t.results[0].schema_version)),
    'n-shot': per(() => 0),
    higher_is_better: per(() => Object.fromEntries(LM_EVAL_METRICS.map((m) => [m.name, m.higherIsBetter]))),
    // original: every measured request (each is a sample line); effective: the successful requests of
    // completed repeats, the ones the task's metrics come from
    'n-samples': per((t) => ({
      original: tally.counts[t.task] ?? 0,
      effective: t.completed.reduce((a, r) => a + r.process_results.reduce((b, p) => b + p.requests.filter((q) => q.ok).length, 0), 0),
    })),
    config: {
      model: first.backend,
      model_args: [`model=${model}`, ...backendOpts.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)].join(','),
      batch_size: shared(rs, (r) => (r.effective_config.load as { concurrency?: number } | undefined)?.concurrency),
      batch_sizes: [],
      device: shared(rs, (r) => [...new Set(r.process_results.map((p) => p.device))].join(',') || undefined),
      use_cache: null,
      limit: null,
      bootstrap_iters: tally.iters,
      gen_kwargs: shared(rs, (r) => r.effective_config.generation),
      random_seed: shared(rs, (r) => (r.effective_config.dataset as { seed?: number } | undefined)?.seed),
      numpy_seed: null,
      torch_seed: null,
      fewshot_seed: null,
    },
    git_hash: null,
    date: start,
    pretty_env_info: prettyEnv(first),
    transformers_version: shared(rs, (r) => software(r).transformers as string | undefined),
    lm_eval_version: null,
    upper_git_hash: null,
    tokenizer_pad_token: null,
    tokenizer_eos_token: null,
    tokenizer_bos_token: null,
    eot_token_id: null,
    max_length: shared(rs, (r) => (isRecord(env(r).backend_settings) ? ((env(r).backend_settings as Record<string, unknown>).context_size as number | undefined) : undefined)),
    task_hashes: tally.hashes,
    model_source: first.backend,
    model_name: model,
    model_name_sanitized: sanitizeModelName(model),
    system_instruction: null,
    system_instruction_sha: null,
    fewshot_as_multiturn: false,
    chat_template: null,
    chat_template_sha: null,
    start_time: start,
    end_time: end,
    total_evaluation_time_seconds: start !== null && end !== null ? String(end - start) : null,
  }
}

export function createLmEvalReporter(ctx: ReporterContext): Reporter {
  const results: AggregatedResult[] = []
  const dir = ctx.outputFile ?? path.join(ctx.runDir, 'lm-eval')
  const iters = typeof ctx.options.bootstrapIters === 'number' ? ctx.options.bootstrapIters : undefined
  return {
    name: 'lm-eval',
    onExperimentEnd(_info, result) {
      results.push(result)
    },
    async onRunEnd(summary) {
      const all = summary.results.length >= results.length ? summary.results : results
      if (all.length === 0) return
      await writeLmEval(all, { outputDir: dir, rootDir: ctx.rootDir, bootstrapIters: iters })
      if (ctx.outputFile !== null) ctx.stdout.write(`lm-eval results written to ${dir}\n`)
    },
  }
}

export default (ctx: ReporterContext): Reporter => createLmEvalReporter(ctx)
