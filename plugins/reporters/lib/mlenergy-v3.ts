/**
 * The ML.ENERGY Benchmark V3 raw-results layout, the one ML.ENERGY's data toolkit (the `mlenergy-data`
 * package, `LLMRuns.from_raw_results(root)`) reads:
 *
 *   {root}/llm/{gpu family}/current/run/llm/{task}/results/{org}/{model}/{GPU SKU}/{k+v+...}/results.json
 *   ... beside it prometheus.json: { steady_state_stats: { "vllm:num_requests_running": mean batch } }
 *   {root}/configs/vllm/{task}/{org}/{model}/model_info.json          (parameters, precision, nickname)
 *   {root}/configs/vllm/{task}/{org}/{model}/{GPU SKU}/monolithic.config.yaml   (the parallelism)
 *
 * The run directory's name is `key+value` pairs (num_gpus, max_num_seqs, num_request_repeats,
 * num_requests, seed, as the benchmark names its own), then `llem_experiment+{id}`: two llem experiments
 * with the same pairs (a sweep over the temperature) must not write one file. The toolkit keeps one
 * model_info.json per task and model and one monolithic.config.yaml per task, model and GPU; where the
 * run's experiments disagree on one, the first is written and the disagreement is reported.
 */
import path from 'node:path'
import type { AggregatedResult } from 'llem/plugin'
import { isRecord, pathSegment, writeFileReplace } from './files.js'

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const section = (r: AggregatedResult, key: string): Record<string, unknown> => (isRecord(r.effective_config[key]) ? (r.effective_config[key] as Record<string, unknown>) : {})

/**
 * The GPU's SKU as ML.ENERGY names directories (H100, B200, MI300X): the first word of the device name
 * holding a digit, past the vendor's words, up to a '-' ("NVIDIA A100-SXM4-80GB" -> A100); CPU without one.
 */
export function gpuSku(name: string | undefined): string {
  if (!name) return 'CPU'
  const word = name.split(/\s+/).find((w) => /\d/.test(w) && /[A-Za-z]/.test(w)) ?? name.split(/\s+/).find((w) => /\d/.test(w))
  return pathSegment((word ?? name).split('-')[0]).toUpperCase()
}

/** ML.ENERGY's model ids are `org/model`; a model without an org (a local file) is filed under `local`. */
export function orgAndModel(modelName: string): [string, string] {
  const parts = modelName.split('/').filter(Boolean)
  const model = parts.pop() ?? 'model'
  return [pathSegment(parts.pop() ?? 'local'), pathSegment(model)]
}

export interface V3Place {
  /** the directory results.json and prometheus.json go in */
  dir: string
  task: string
  org: string
  model: string
  sku: string
}

export function v3Place(root: string, r: AggregatedResult, task: string, gpus: string[], maxSeqs: number, requests: number): V3Place {
  const [org, model] = orgAndModel(r.model_name)
  const sku = gpuSku(gpus[0])
  const pairs: Array<[string, string | number]> = [
    ['num_gpus', gpus.length],
    ['max_num_seqs', maxSeqs],
    ['num_request_repeats', 1],
    ['num_requests', requests],
    ['seed', num(section(r, 'dataset').seed) ?? 0],
    ['llem_experiment', pathSegment(r.experiment_id)],
  ]
  const name = pairs.map(([k, v]) => `${k}+${String(v).replace(/\+/g, '-')}`).join('+')
  const dir = path.join(root, 'llm', sku.toLowerCase(), 'current', 'run', 'llm', pathSegment(task), 'results', org, model, sku, name)
  return { dir, task: pathSegment(task), org, model, sku }
}

/** prometheus.json: the only statistic the toolkit reads from it, the mean batch over the steady state
 *  (llem's is the requests in flight as its client saw them, said so in `llem_note`) */
export function prometheusJson(avgBatchSize: number | null): string {
  return JSON.stringify({ steady_state_stats: avgBatchSize === null ? {} : { 'vllm:num_requests_running': avgBatchSize }, llem_note: 'vllm:num_requests_running is the mean number of requests in flight over the steady state as llem\'s client saw them, not a scrape of the server' }, null, 2) + '\n'
}

export interface ModelFacts {
  nickname?: string
  total_params_billions?: number | null
  activated_params_billions?: number | null
  architecture?: string
  weight_precision?: string | null
}

/** The config files of one run, gathered per experiment and written once each: the one of the
 *  experiment first in the run's order (not the first to finish its other files) wins a disagreement. */
export class V3Configs {
  private readonly wanted: Array<{ file: string; text: string; from: string; order: number }> = []
  readonly conflicts: string[] = []

  constructor(private readonly root: string) {}

  /** `order`: the experiment's place in the run's results */
  add(place: V3Place, r: AggregatedResult, facts: ModelFacts, order: number): void {
    const base = path.join(this.root, 'configs', 'vllm', place.task, place.org, place.model)
    const want = (file: string, text: string) => this.wanted.push({ file, text, from: r.experiment_id, order })
    // the toolkit requires the total parameters; without them there is nothing true to write
    if (facts.total_params_billions != null) {
      const info: Record<string, unknown> = { total_parameters_billion: facts.total_params_billions }
      if (facts.activated_params_billions != null) info.active_parameters_billion = facts.activated_params_billions
      if (facts.nickname) info.nickname = facts.nickname
      // a family label (Dense, MoE); the toolkit derives it from the parameters when absent
      if (facts.architecture) info.architecture = facts.architecture
      if (facts.weight_precision) info.weight_precision = facts.weight_precision
      want(path.join(base, 'model_info.json'), JSON.stringify(info, null, 2) + '\n')
    }
    const backend = section(r, 'backend')
    const tp = num(backend.tensorParallelSize) ?? num(backend.tpSize) ?? 1
    const ep = num(backend.epSize)
    const dp = num(section(r, 'parallel').data) ?? r.process_results.length
    const yaml = [`tensor-parallel-size: ${tp}`, `data-parallel-size: ${dp}`, ...(ep !== null && ep > 1 ? ['enable-expert-parallel: true', `expert-parallel-size: ${ep}`] : [])].join('\n') + '\n'
    want(path.join(base, place.sku, 'monolithic.config.yaml'), yaml)
  }

  async write(): Promise<string[]> {
    const files = new Map<string, { text: string; from: string }>()
    for (const w of [...this.wanted].sort((a, b) => a.order - b.order)) {
      const had = files.get(w.file)
      if (!had) files.set(w.file, w)
      else if (had.text !== w.text) this.conflicts.push(`${path.relative(this.root, w.file)}: ${w.from} differs from ${had.from}, whose is written (the layout keeps one per model${w.file.endsWith('.yaml') ? ' and GPU' : ''})`)
    }
    const made = new Set<string>()
    for (const [file, { text }] of files) await writeFileReplace(file, text, made)
    return [...files.keys()]
  }
}
