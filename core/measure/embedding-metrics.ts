/**
 * The figures of an embeddings workload (a backend's endpoint 'embeddings'): each request embeds its
 * prompt and generates nothing, so the cost is per embedded (input) token and per request. Energy,
 * its uncertainty and the window are the experiment's own (the total window: there is no steady
 * state in output tokens to narrow it to); the output-token figures are null, and say why.
 */
import type { RawProcessResult, RequestRecord } from '../results/schema.js'

export type EmbeddingMetrics = NonNullable<RawProcessResult['embedding_metrics']>

/**
 * Why each output-token figure is null in an embeddings result. A list of { metric, reason } rather
 * than a map keyed by metric: result redaction masks the values of keys that name tokens.
 */
export const EMBEDDINGS_NOT_APPLICABLE: { metric: string; reason: string }[] = [
  { metric: 'energy_per_token_j', reason: 'no output tokens: an embeddings request generates none; see energy_per_input_token_j' },
  { metric: 'avg_energy_per_token_j', reason: 'no output tokens: an embeddings request generates none; see embedding_metrics.energy_per_input_token_j' },
  { metric: 'output_tokens_per_second', reason: 'no output tokens are generated; see input_tokens_per_second' },
  { metric: 'time_to_first_token_ms', reason: 'the embedding arrives whole, not streamed: its latency is e2e' },
  { metric: 'itl_ms', reason: 'no tokens are streamed' },
  { metric: 'tpot_ms', reason: 'no output tokens' },
  { metric: 'token_efficiency_index', reason: 'defined on output tokens' },
  { metric: 'requests[].energy_j', reason: 'a request is given J/output token x its output tokens (none): energy_per_request_j is the mean' },
]

export interface EmbeddingInput {
  requests: readonly Pick<RequestRecord, 'ok' | 'input_tokens'>[]
  durationSec: number
  energyJ: number | null
  energyUncertaintyJ: number | null
}

export function embeddingMetrics(x: EmbeddingInput): EmbeddingMetrics {
  const ok = x.requests.filter((r) => r.ok)
  const tokens = ok.reduce((a, r) => a + r.input_tokens, 0)
  const rated = x.durationSec > 0
  return {
    requests: ok.length,
    input_tokens: tokens,
    energy_per_input_token_j: x.energyJ !== null && tokens > 0 ? x.energyJ / tokens : null,
    energy_per_input_token_uncertainty_j: x.energyJ !== null && x.energyUncertaintyJ !== null && tokens > 0 ? x.energyUncertaintyJ / tokens : null,
    energy_per_request_j: x.energyJ !== null && ok.length > 0 ? x.energyJ / ok.length : null,
    requests_per_second: rated ? ok.length / x.durationSec : null,
    input_tokens_per_second: rated ? tokens / x.durationSec : null,
    not_applicable: EMBEDDINGS_NOT_APPLICABLE,
  }
}

/** The experiment's figures over its processes: the combined energy over every completed request. */
export function aggregateEmbeddingMetrics(done: readonly RawProcessResult[], totals: { energyJ: number | null; energyUncertaintyJ: number | null; durationSec: number }): EmbeddingMetrics | null {
  if (!done.some((r) => r.embedding_metrics)) return null
  return embeddingMetrics({ requests: done.flatMap((r) => r.requests), durationSec: totals.durationSec, energyJ: totals.energyJ, energyUncertaintyJ: totals.energyUncertaintyJ })
}
