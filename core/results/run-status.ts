/**
 * What a run's stored results say the run was, as the live run said it (`llem report` replays a run
 * from its files and must not tell reporters something else): interrupted when a signal stopped it,
 * failed when an experiment failed, passed otherwise. Experiments `--bail` left unrun are recorded
 * `interrupted` (they never ran) but the run they belong to failed, it was not interrupted.
 */
import type { AggregatedResult } from './schema.js'

const BAIL_PREFIX = 'not run: --bail stopped the run'

/** the record of an experiment `--bail` kept from starting */
export function bailNotRunMessage(failures: number): string {
  return `${BAIL_PREFIX} after ${failures} failed experiment${failures === 1 ? '' : 's'}`
}

function leftByBail(r: AggregatedResult): boolean {
  return r.status === 'interrupted' && r.error?.phase === 'plan' && r.error.message.startsWith(BAIL_PREFIX)
}

/** never handed to a worker (the live run sent no onExperimentStart for it): kept from starting by a
 *  signal or --bail, or no GPUs for it */
export function neverStarted(r: AggregatedResult): boolean {
  return r.status !== 'completed' && r.error?.phase === 'plan'
}

/** `unfinished`: experiments the run planned to run that have no result (a run killed, or still
 *  running elsewhere): such a run did not pass, it was cut short */
export function runStatus(results: AggregatedResult[], unfinished = 0): 'passed' | 'failed' | 'interrupted' {
  if (unfinished > 0 || results.some((r) => r.status === 'interrupted' && !leftByBail(r))) return 'interrupted'
  return results.some((r) => r.status === 'failed') ? 'failed' : 'passed'
}
