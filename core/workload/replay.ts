/**
 * load.replay: when each request of a trace is sent, and the load options that cannot go with it or
 * with conversations (checked before anything runs, so a contradiction is bad input, exit 2).
 */
import { InputError } from '../errors.js'
import type { DatasetPrompt } from './dataset.js'
import type { DatasetOptions } from './dataset-schema.js'
import { traceFormats } from './dataset-formats.js'

interface LoadOptions {
  rate: number | 'inf' | null
  rampUp: number
  thinkTimeMs?: unknown
  replay?: { timeScale?: number }
}

/** What is wrong with load and dataset together, as `key: reason`, or null. */
export function loadConflict(load: LoadOptions, dataset: DatasetOptions | null): string | null {
  if (load.thinkTimeMs !== undefined && !dataset?.multiTurn) return 'load.thinkTimeMs: think time is the pause between the turns of a conversation; set dataset.multiTurn (a dataset of conversations)'
  if (load.replay === undefined) return null
  if (dataset?.format === undefined || !traceFormats.has(dataset.format)) return "load.replay: a replay sends each request at its time in a trace: the dataset must be one (dataset.format 'mooncake' or 'burstgpt')"
  if (load.rate !== null) return 'load.replay: the trace sets when requests are sent: remove load.rate'
  if (load.rampUp > 0) return 'load.replay: the trace sets when requests are sent: remove load.rampUp'
  if (dataset.shuffle) return 'load.replay: dataset.shuffle would send the trace out of its time order'
  if (dataset.repeat > 1) return 'load.replay: dataset.repeat would send the trace again from its start: replay it once (measurement.minWindowSec replays it again after its end)'
  return null
}

/**
 * Each request's due time in ms after the window opens: its trace time less the first request's, times
 * timeScale. A replay sends each row once, so more requests than rows is bad input.
 */
export function replayArrivalsMs(prompts: readonly DatasetPrompt[], requests: number, timeScale: number): number[] {
  if (requests > prompts.length)
    throw new InputError('CONFIG_INVALID', `load.requests is ${requests}, but the trace has ${prompts.length} requests: a replay sends each once (leave load.requests unset to send them all)`, { where: 'load.requests' })
  const first = prompts[0]?.arrivalMs
  if (first === undefined) throw new InputError('CONFIG_INVALID', "load.replay: the dataset's prompts have no arrival times (dataset.format 'mooncake' or 'burstgpt')", { where: 'load.replay' })
  return prompts.slice(0, requests).map((p) => (p.arrivalMs! - first) * timeScale)
}
