/**
 * The `workload` part of a result: the token lengths the experiment asked for (the distributions as
 * given, the seed) and what the backend produced, summarised over the completed measured requests.
 */
import type { RequestRecord, Workload } from '../results/schema.js'
import type { DatasetOptions } from './dataset-schema.js'
import { normaliseLengthSpec } from './lengths.js'
import { combineTraffic } from './traffic-record.js'
import { maxOf, minOf } from '../stats/extent.js'

/** What was asked for; `realised` is filled from the requests. */
export function workloadSpec(dataset: DatasetOptions, mode: 'enforced' | 'capped'): Omit<Workload, 'realised'> {
  const s = dataset.synthetic
  // a shared prefix: the drawn length is the suffix's, and shared_prefix says the rest
  const input: Workload['input_lengths'] = s
    ? s.prefix ? { source: 'shared_prefix', spec: null } : { source: 'synthetic', spec: normaliseLengthSpec(s.inputTokens!) }
    : { source: dataset.columns?.inputTokens !== undefined ? 'dataset_column' : 'dataset', spec: null }
  const sharedPrefix = s?.prefix ? { shared_prefix: { count: s.prefix.count, tokens: s.prefix.tokens, suffix_tokens: normaliseLengthSpec(s.suffixTokens!), assignment: 'round_robin' as const } } : {}
  const out = dataset.outputTokens
  const output: Workload['output_lengths'] =
    out === undefined ? { source: 'generation', spec: null, mode } : out === 'dataset' ? { source: 'dataset', spec: null, mode } : { source: 'distribution', spec: normaliseLengthSpec(out), mode }
  return { input_lengths: input, output_lengths: output, seed: dataset.seed, ...sharedPrefix }
}

function summary(xs: number[]): Workload['realised']['input_tokens'] {
  if (xs.length === 0) return null
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0
  return { count: xs.length, mean, std, min: minOf(xs), max: maxOf(xs) }
}

export function realisedLengths(requests: readonly RequestRecord[]): Workload['realised'] {
  const done = requests.filter((r) => r.ok)
  const asked = done.filter((r) => r.requested_output_tokens !== undefined)
  return {
    input_tokens: summary(done.map((r) => r.input_tokens)),
    output_tokens: summary(done.map((r) => r.output_tokens)),
    requested_output_tokens: summary(asked.map((r) => r.requested_output_tokens!)),
    requests_short: asked.filter((r) => r.output_tokens < r.requested_output_tokens!).length,
    ...cachedInput(done),
  }
}

/**
 * The prompt tokens the server said it took from its cache (usage.prompt_tokens_details.cached_tokens)
 * over those it was sent, for the completed requests that report it; absent when none does (a server
 * that does not say is not a server that cached nothing).
 */
function cachedInput(done: readonly RequestRecord[]): Pick<Workload['realised'], 'cached_input_tokens' | 'cached_input_share' | 'requests_reporting_cached'> {
  const told = done.filter((r) => typeof r.cached_input_tokens === 'number')
  if (told.length === 0) return {}
  const cached = told.reduce((a, r) => a + r.cached_input_tokens!, 0)
  const input = told.reduce((a, r) => a + r.input_tokens, 0)
  return { cached_input_tokens: cached, cached_input_share: input > 0 ? cached / input : null, requests_reporting_cached: told.length }
}

/** The experiment's workload from its processes: the first one's spec, realised over all their requests. */
export function combineWorkload(processes: readonly { workload?: Workload | null; requests: RequestRecord[] }[]): Workload | null {
  const first = processes.find((p) => p.workload)?.workload
  if (!first) return null
  const requests = processes.filter((p) => p.workload).flatMap((p) => p.requests)
  return { ...first, realised: realisedLengths(requests), ...combineTraffic(first, requests) }
}
