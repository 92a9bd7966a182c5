/**
 * lm-eval's per-sample log, one JSON object a line, with llem's requests as the samples: the prompt is
 * the document, generation settings are the request's arguments, and the per-request measurements are
 * the sample's metrics. Hashes are computed the way lm-eval computes them (sha256 hex of the document
 * as indented JSON, of the prompt, and of the target as a string), so its task_hashes mean the same.
 */
import { createHash } from 'node:crypto'
import type { AggregatedResult } from 'llem/plugin'
import { requestRows, type PromptLookup } from './request-rows.js'

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')

/** per-request metrics, in the order they are listed in each sample's `metrics` */
export const SAMPLE_METRICS = ['energy_j', 'ttft_ms', 'e2e_ms', 'tpot_ms', 'input_tokens', 'output_tokens', 'success'] as const

// llem has no reference answer for a prompt: lm-eval's "no target" is an empty string
const TARGET = ''
const TARGET_HASH = sha256(TARGET)

export interface TaskSamples {
  /** the JSONL text, one sample a line */
  text: string
  count: number
  /** lm-eval's task hash: sha256 of every sample's doc_hash + prompt_hash + target_hash in order */
  hash: string
}

const json = JSON.stringify
const num = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'null' : String(v))
const METRICS_JSON = json(SAMPLE_METRICS)
const TARGET_JSON = json(TARGET)

interface PromptParts {
  docHash: string
  promptHash: string | null
  /** the compact JSON of the sample's doc and arguments, the same for every request of this prompt */
  doc: string
  args: string
}

/**
 * The samples of one task: every request of every repeat, in repeat order. A run of a thousand
 * experiments has a hundred thousand samples, so each line is put together from pieces serialised
 * once per prompt (JSON.stringify of the whole sample would redo them for every request); the key
 * order is lm-eval's: its sample keys, then each metric's value.
 */
export async function taskSamples(results: readonly AggregatedResult[], prompts: PromptLookup): Promise<TaskSamples> {
  const lines: string[] = []
  const taskHash = createHash('sha256')
  for (const result of results) {
    const texts = await prompts(result)
    const generation = json(result.effective_config.generation ?? {})
    const parts = new Map<number, PromptParts>()
    for (const { record: r } of requestRows(result)) {
      let p = parts.get(r.prompt_id)
      if (!p) {
        const prompt = texts?.get(r.prompt_id) ?? null
        const doc = { prompt, prompt_id: r.prompt_id }
        p = {
          docHash: sha256(JSON.stringify(doc, null, 2)),
          promptHash: prompt === null ? null : sha256(prompt),
          doc: json(doc),
          args: `{"gen_args_0":{"arg_0":${json(prompt)},"arg_1":${generation}}}`,
        }
        parts.set(r.prompt_id, p)
      }
      taskHash.update(p.docHash + (p.promptHash ?? '') + TARGET_HASH)
      lines.push(
        `{"doc_id":${lines.length},"doc":${p.doc},"target":${TARGET_JSON},"arguments":${p.args},` +
          // llem does not keep generated text: the response is unknown, not empty
          `"resps":[[null]],"filtered_resps":[null],"filter":"none","metrics":${METRICS_JSON},` +
          `"doc_hash":"${p.docHash}","prompt_hash":${p.promptHash === null ? 'null' : `"${p.promptHash}"`},"target_hash":"${TARGET_HASH}",` +
          // lm-eval puts each metric's value at the top level of the sample
          `"energy_j":${num(r.energy_j)},"ttft_ms":${num(r.ttft_ms)},"e2e_ms":${num(r.e2e_ms)},"tpot_ms":${num(r.tpot_ms)},` +
          `"input_tokens":${r.input_tokens},"output_tokens":${r.output_tokens},"success":${r.ok ? 1 : 0}}`,
      )
    }
  }
  return { text: lines.length ? lines.join('\n') + '\n' : '', count: lines.length, hash: taskHash.digest('hex') }
}
