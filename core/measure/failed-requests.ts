/**
 * measurement.maxFailedRequests: how many failed measured requests an experiment may have and still
 * pass. A failed request measured nothing, and the survivors' J/token is not the cost of the workload
 * that was asked for (a server that fails long prompts leaves only short ones), so past the limit the
 * experiment fails with TOO_MANY_FAILED_REQUESTS; its metrics stay in the result for inspection.
 */

/** the limit as written: a count (3) or a percent of the measured requests ('5%') */
export type FailedRequestLimit = number | string

/** A message saying why the limit is exceeded, or null when the failures are within it. */
export function failedRequestsOverLimit(failed: number, total: number, limit: FailedRequestLimit): string | null {
  if (failed === 0 || total === 0) return null
  const share = (failed / total) * 100
  if (typeof limit === 'string') {
    const pct = Number(limit.replace(/%$/, ''))
    return share > pct ? `${failed} of ${total} measured requests failed (${formatPct(share)}), more than measurement.maxFailedRequests = ${limit}` : null
  }
  return failed > limit ? `${failed} of ${total} measured requests failed (${formatPct(share)}), more than measurement.maxFailedRequests = ${limit}` : null
}

function formatPct(p: number): string {
  return `${Number(p.toFixed(1))}%`
}
