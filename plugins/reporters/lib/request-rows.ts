/**
 * Per-request views of a result, for the formats that list requests one by one (lm-eval samples,
 * ML.ENERGY's results[]). A result keeps each request's timings but not its ITL list or its prompt
 * text: the ITLs are stored as one flat list per process and the prompts are in the dataset, so both
 * are recovered here where that can be done exactly, and left null where it cannot.
 */
import type { AggregatedResult, RawProcessResult, RequestRecord } from 'llem/plugin'

export interface RequestRow {
  process: RawProcessResult
  record: RequestRecord
  /** this request's inter-token latencies (ms), or null when they cannot be told apart from the others' */
  itlMs: number[] | null
}

/** Every request of every process, in process order and then request order. */
export function requestRows(result: AggregatedResult): RequestRow[] {
  const rows: RequestRow[] = []
  for (const p of result.process_results) {
    const itl = splitItl(p)
    for (let i = 0; i < p.requests.length; i++) rows.push({ process: p, record: p.requests[i], itlMs: itl ? itl[i] : null })
  }
  return rows
}

/**
 * The flat `itl_full_ms` list holds the successful requests' gaps back to back, in request order. A
 * request with k output tokens has k - 1 gaps when each chunk carried one token; when the total
 * matches that count the list is cut at those boundaries. When it does not (multi-token chunks, token
 * counts from the server's usage), any cut would be a guess, so there is no per-request list.
 */
export function splitItl(p: RawProcessResult): Array<number[] | null> | null {
  const flat = p.inference_metrics?.latency_measurements.itl_full_ms
  if (!flat) return null
  let expected = 0
  for (const r of p.requests) if (r.ok) expected += Math.max(0, r.output_tokens - 1)
  if (expected !== flat.length) return null
  let at = 0
  return p.requests.map((r) => {
    if (!r.ok) return null
    const n = Math.max(0, r.output_tokens - 1)
    at += n
    return flat.slice(at - n, at)
  })
}

export type PromptLookup = (result: AggregatedResult) => Promise<Map<number, string> | null>

/**
 * Prompt texts by prompt_id, read again from the experiment's dataset (inline prompts or a file,
 * resolved against the project root as the run did). Synthetic prompts need the model's tokenizer to
 * be rebuilt, so they stay unknown. A dataset that cannot be read any more (moved, edited into
 * something invalid) gives null rather than failing the report. Cached per dataset: a sweep of a
 * thousand experiments usually shares one.
 */
export function promptLookup(rootDir: string): PromptLookup {
  const cache = new Map<string, Promise<Map<number, string> | null>>()
  return (result) => {
    const dataset = result.effective_config.dataset
    if (typeof dataset !== 'object' || dataset === null || (dataset as { synthetic?: unknown }).synthetic != null) return Promise.resolve(null)
    const key = JSON.stringify(dataset)
    let found = cache.get(key)
    if (!found) {
      found = import('llem/plugin')
        .then(({ loadDataset }) => loadDataset(dataset as Parameters<typeof loadDataset>[0], { baseDir: rootDir }))
        .then((prompts) => new Map(prompts.map((p) => [p.id, p.text])))
        .catch(() => null)
      cache.set(key, found)
    }
    return found
  }
}
