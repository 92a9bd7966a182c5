/**
 * Names read back from a run directory's files (experiment ids, Slurm job ids and task indices, the
 * relative paths a result records) become parts of paths. A run directory can be crafted (copied from
 * elsewhere, shared with users who can write to it), so each name is checked before it is used: one
 * with a path separator, `..` or a control character would make llem read or write outside the run
 * directory. Refused with exit 2, naming the file and the field.
 */
import path from 'node:path'
import { InputError } from '../errors.js'

// one path segment: no separator, no control character, not `.` or `..`, not hidden
// eslint-disable-next-line no-control-regex
const SEGMENT = /^(?!\.)[^/\\\u0000-\u001f\u007f]{1,200}$/

export function isSafeSegment(name: unknown): name is string {
  return typeof name === 'string' && SEGMENT.test(name)
}

function refuse(file: string, field: string, value: unknown, why: string): never {
  throw new InputError('RESULTS_INVALID', `${file}: ${field} ${JSON.stringify(value)} ${why}: a crafted run directory? Nothing was written`, { file, where: field })
}

/** `name` is one path segment, or the file is refused. */
export function checkSegment(name: unknown, file: string, field: string): string {
  if (!isSafeSegment(name)) refuse(file, field, name, 'is not a plain name (a path separator, `..` or a control character)')
  return name
}

/** A slurm job id (digits) or task index (a non-negative integer). */
export function checkJobId(id: unknown, file: string, field: string): string {
  if (typeof id !== 'string' || !/^\d{1,20}$/.test(id)) refuse(file, field, id, 'is not a Slurm job id')
  return id
}
export function checkIndex(i: unknown, file: string, field: string): number {
  if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0) refuse(file, field, i, 'is not a task index')
  return i
}

/** A path a result records relative to its run directory (timeseries/, logs/): it must stay inside. */
export function checkRelative(rel: unknown, file: string, field: string): void {
  if (rel === null || rel === undefined) return
  // eslint-disable-next-line no-control-regex
  const inside = typeof rel === 'string' && !path.isAbsolute(rel) && !/[\u0000-\u001f\u007f]/.test(rel) && !rel.split(/[/\\]/).includes('..')
  if (!inside) refuse(file, field, rel, 'leaves the run directory')
}

interface NamedResult {
  experiment_id?: unknown
  timeseries_path?: unknown
  log_path?: unknown
  process_results?: unknown
}

/** The names of a raw or aggregated result that llem (and its reporters) turn into paths. */
export function checkResultNames(r: NamedResult, file: string): void {
  checkSegment(r.experiment_id, file, 'experiment_id')
  checkRelative(r.timeseries_path, file, 'timeseries_path')
  checkRelative(r.log_path, file, 'log_path')
  if (Array.isArray(r.process_results)) for (const [i, p] of r.process_results.entries()) checkResultNames(p as NamedResult, `${file} (process_results[${i}])`)
}
