/**
 * `--shard i/n`: this job's share of the planned experiments, so n CI jobs (or machines) split one plan
 * between them. Every job computes the same split on its own: shards are disjoint and together they are
 * the whole plan.
 *
 * - The unit is an experiment with all its repeats: the spread between repeats is only meaningful when
 *   they ran on one machine.
 * - Units are ordered by a hash of what names them in the source (the bench's root-relative file:line,
 *   its full name and its sweep point), not by task hash: a task hash covers the effective config, which
 *   may hold machine-specific paths, and jobs on different machines must agree on the order.
 * - As Vitest does with files, the ordered units are cut into contiguous chunks; here the chunks differ
 *   in size by at most one unit, so no shard is left empty while another has two more. Units that run
 *   and units that are skipped are cut separately, so the work to run is what is balanced.
 * - Within a shard, experiments keep their planned order.
 */
import { createHash } from 'node:crypto'
import { InputError } from '../errors.js'
import type { Experiment } from './plan.js'
import { canonicalJson } from './task-hash.js'

export interface Shard {
  index: number
  count: number
}

/** "2/3" -> { index: 2, count: 3 }; anything else is bad input naming the flag. */
export function parseShard(raw: unknown): Shard {
  const text = String(raw)
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  const usage = 'expected <index>/<count> with 1 <= index <= count, e.g. --shard 2/3'
  if (Array.isArray(raw)) throw new InputError('CONFIG_INVALID', `command line: --shard: given ${raw.length} times; give it once (${usage})`)
  if (!m) throw new InputError('CONFIG_INVALID', `command line: --shard ${JSON.stringify(text)}: ${usage}`)
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1) throw new InputError('CONFIG_INVALID', `command line: --shard ${text}: the count must be at least 1 (${usage})`)
  if (index < 1 || index > count) throw new InputError('CONFIG_INVALID', `command line: --shard ${text}: the index must be between 1 and ${count} (${usage})`)
  return { index, count }
}

/** What names an experiment's unit on every machine alike (see the header). */
function unitKey(x: Experiment): string {
  const location = x.bench.location.replace(/\\/g, '/')
  return `${location}\0${x.bench.full_name}\0${canonicalJson(x.sweep_point)}`
}

export function shardExperiments(experiments: Experiment[], shard: Shard): Experiment[] {
  const units = new Map<string, { mode: Experiment['mode']; hash: string }>()
  for (const x of experiments) {
    const key = unitKey(x)
    if (!units.has(key)) units.set(key, { mode: x.mode, hash: createHash('sha1').update(key).digest('hex') })
  }
  const chosen = new Set<string>()
  for (const mode of ['run', 'skip'] as const) {
    const ordered = [...units].filter(([, u]) => u.mode === mode).sort(([ka, a], [kb, b]) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : ka < kb ? -1 : ka > kb ? 1 : 0))
    const start = Math.floor((ordered.length * (shard.index - 1)) / shard.count)
    const end = Math.floor((ordered.length * shard.index) / shard.count)
    for (const [key] of ordered.slice(start, end)) chosen.add(key)
  }
  return experiments.filter((x) => chosen.has(unitKey(x)))
}
