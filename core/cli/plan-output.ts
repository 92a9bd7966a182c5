/**
 * The plan as `llem list` prints it, and `llem bench --dry-run` too: text, or JSON written one
 * experiment at a time. Its own module so the two commands share it without importing each other.
 */
import path from 'node:path'
import pc from 'picocolors'
import { maskRememberedEntry, RedactMemo, redactSecrets, rememberEntry, rememberSecrets, secretsLearnt } from '../results/redact.js'
import type { Experiment } from '../plan/plan.js'
import type { ResolvedRun } from '../run/resolve-run.js'
import { describePlannedSeries } from '../run/series-plan.js'
import { isPlainObject } from '../config/layers.js'
import { scalarKey } from '../plan/validate-point.js'

/** Until the stream takes more: drained, or closed (its reader gone), whichever comes first. */
function drained(out: NodeJS.WriteStream): Promise<void> {
  if (out.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      for (const e of ['drain', 'close', 'error']) out.off(e, done)
      resolve()
    }
    for (const e of ['drain', 'close', 'error']) out.once(e, done)
  })
}

/**
 * The plan as JSON, the same bytes as one JSON.stringify(plan, null, 2), written one experiment at a
 * time: a 10,000-point sweep is tens of MB of effective configs, which one whole string (and its
 * redacted copy) held in memory at once. Secrets are gathered from every experiment before the first
 * is written, so a secret set in one experiment is masked where another echoes it, as before.
 *
 * The experiments of a sweep share their config sections (the same objects: plan/validate-point.ts),
 * so each section is searched for secrets, masked and written as text once, and its text reused by
 * every experiment that has it: writing a 10,000-point plan searched, copied and stringified ~30
 * sections per experiment, most of `llem list --json`'s time.
 */
export async function writePlanJson(run: ResolvedRun): Promise<void> {
  const root = run.loaded.rootDir
  // with --shard: which share these experiments are, of how many planned
  const head = { config_file: run.loaded.file, files: run.files.map((f) => path.relative(root, f)), shard: run.shard }
  // effective configs hold the bench's secrets (a server's env, extraBody): masked as in results
  rememberSecrets(head)
  // the experiments of a sweep share their config sections: each searched and masked once. A row's
  // own fields are searched and masked one by one, as they would be inside the row (no row object is
  // built for it, nor a masked copy: 10,000 of each were a tenth of a large listing's time)
  const memo = new RedactMemo()
  const scalarsSeen = new Set<string>()
  for (const x of run.experiments) {
    for (const k of OWN_FIELDS) rememberEntry(k, ownField(x, k), memo)
    const config = x.config as unknown as Record<string, unknown>
    for (const k of Object.keys(config)) {
      const v = config[k]
      if (isPlainObject(v)) {
        if (!memo.seen.has(v)) rememberSecrets(v, memo)
        continue
      }
      const at = scalarKey(k, v)
      if (at !== null && scalarsSeen.has(at)) continue
      if (at !== null) scalarsSeen.add(at)
      rememberEntry(k, v, memo)
    }
  }
  const out = process.stdout
  // rows are encoded into a 1 MB buffer as they come: a string grown row by row is a rope that
  // writing had to flatten and encode again, the costliest part of writing 50 MB
  let buf = Buffer.allocUnsafe(1 << 20)
  let used = 0
  /** Room for `bytes` more (at most), flushing what the buffer holds first if need be. false: stdout
   *  was closed (`llem list --json | head`), which ends the listing, not with an error */
  const room = async (bytes: number): Promise<boolean> => {
    if (used + bytes <= buf.length) return true
    if (!out.write(buf.subarray(0, used))) await drained(out)
    if (out.destroyed) return false
    buf = Buffer.allocUnsafe(Math.max(1 << 20, bytes))
    used = 0
    return true
  }
  // a UTF-16 unit is at most 3 bytes of UTF-8: room is made for that, the exact length is what is written
  const put = async (pieces: RowPieces | string): Promise<boolean> => {
    if (typeof pieces === 'string') pieces = new RowPieces().add(pieces)
    const { items, count } = pieces
    let most = 0
    for (let j = 0; j < count; j++) {
      const p = items[j]
      most += typeof p === 'string' ? p.length * 3 : p.length
    }
    if (!(await room(most))) return false
    for (let j = 0; j < count; j++) {
      const p = items[j]
      // bytes by TypedArray set(), not Buffer.copy(): a row has ~60 pieces, and copy()'s argument
      // handling cost more than the copying of these short pieces
      if (typeof p === 'string') used += buf.write(p, used)
      else {
        buf.set(p, used)
        used += p.length
      }
    }
    return true
  }
  if (!(await put(JSON.stringify(redactSecrets(head), null, 2).slice(0, -2) + ',\n  "experiments": ['))) return
  const sections = new SectionTexts(memo)
  // a row's object fields by identity: the masked copy of a shared object (bench, of every point of
  // a bench) is one object while no secret is learnt, so its text is made once, and kept as bytes
  // once a second row has it
  const objectTexts = new WeakMap<object, string | Buffer | undefined>()
  const fieldText = (v: unknown): string | Buffer | undefined => {
    if (typeof v !== 'object' || v === null) return jsonAt(v, ROW_FIELD_INDENT)
    if (objectTexts.has(v)) {
      const hit = objectTexts.get(v)
      if (typeof hit !== 'string') return hit
      const bytes = Buffer.from(hit)
      objectTexts.set(v, bytes)
      return bytes
    }
    const text = jsonAt(v, ROW_FIELD_INDENT)
    objectTexts.set(v, text)
    return text
  }
  // one list of pieces for every row (it is written out before the next row is made)
  const pieces = new RowPieces()
  for (const [i, x] of run.experiments.entries()) {
    // the row at 4 spaces, its fields at 6, the config's sections at 8 (each section's bytes made once)
    pieces.clear().add(i ? BYTES.nextRow : BYTES.firstRow)
    for (const k of ROW_FIELDS) {
      if (k === 'effective_config') {
        if (pieces.count > 1) pieces.add(BYTES.comma)
        pieces.add(FIELD_HEADS.effective_config)
        const open = pieces.count
        pieces.add(BYTES.open)
        if (sections.addConfig(x.config as unknown as Record<string, unknown>, pieces) === 0) pieces.items[open] = BYTES.empty
        else pieces.add(BYTES.configEnd)
        continue
      }
      const text = fieldText(maskRememberedEntry(k, ownField(x, k), memo))
      if (text === undefined) continue
      if (pieces.count > 1) pieces.add(BYTES.comma)
      pieces.add(FIELD_HEADS[k]).add(text)
    }
    pieces.add(BYTES.rowEnd)
    if (!(await put(pieces))) return
  }
  if (!(await put(run.experiments.length ? '\n  ]\n}\n' : ']\n}\n'))) return
  out.write(buf.subarray(0, used))
}

/** a row's fields, in the order the listing has always written them (the config's sections among them) */
const ROW_FIELDS = ['id', 'name', 'bench', 'task_hash', 'mode', 'sweep_point', 'repeat_index', 'effective_config', 'series'] as const
const OWN_FIELDS = ROW_FIELDS.filter((k) => k !== 'effective_config')
type OwnField = (typeof OWN_FIELDS)[number]

/** a row's own field; undefined where the row has none (JSON leaves it out). Named reads, one per
 *  case: a read by a variable key went through a slow lookup for every field of every row */
function ownField(x: Experiment, k: OwnField): unknown {
  switch (k) {
    case 'id':
      return x.id
    case 'name':
      return x.name
    case 'bench':
      return x.bench
    case 'task_hash':
      return x.task_hash
    case 'mode':
      return x.mode
    case 'sweep_point':
      return x.sweep_point
    case 'repeat_index':
      return x.repeat_index
    case 'series':
      return x.series ? { ...x.series, then: describePlannedSeries(x.config, x.series.cap) } : undefined
  }
}

/** A row's pieces of text and bytes, in one array kept from row to row (an array emptied with
 *  `length = 0` gives up its storage, and grew again for every row) */
class RowPieces {
  readonly items: (string | Buffer)[] = []
  count = 0
  add(piece: string | Buffer): this {
    this.items[this.count++] = piece
    return this
  }
  clear(): this {
    this.count = 0
    return this
  }
}

const ROW_FIELD_INDENT = ' '.repeat(6)
/** `      "field": ` as bytes, made once per field rather than once per row */
const FIELD_HEADS = Object.fromEntries(ROW_FIELDS.map((k) => [k, Buffer.from(`${ROW_FIELD_INDENT}"${k}": `)])) as Record<(typeof ROW_FIELDS)[number], Buffer>
/** the listing's fixed pieces, encoded once */
const BYTES = {
  firstRow: Buffer.from('\n    {\n'),
  nextRow: Buffer.from(',\n    {\n'),
  comma: Buffer.from(',\n'),
  open: Buffer.from('{\n'),
  empty: Buffer.from('{}'),
  configEnd: Buffer.from(`\n${ROW_FIELD_INDENT}}`),
  rowEnd: Buffer.from('\n    }'),
}
const SECTION_INDENT = ' '.repeat(8)

/** JSON.stringify(value, null, 2) as written nested under `indent`; undefined where JSON leaves it out */
function jsonAt(value: unknown, indent: string): string | undefined {
  // a string, number, boolean or null is one line, whatever the indent (most of a row's own fields)
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) as string | undefined
  const text = JSON.stringify(value, null, 2) as string | undefined
  return text === undefined ? undefined : text.replaceAll('\n', '\n' + indent)
}

/** Config sections masked and written once each: a section object (or a scalar under its key) has
 *  one text, kept as its UTF-8 bytes (`"key": value` at its indent), while no new secret is learnt
 *  (the experiments of a sweep share their sections). */
class SectionTexts {
  private objects = new WeakMap<object, Buffer | null>()
  private scalars = new Map<string, Buffer | null>()
  private learnt = -1
  constructor(private readonly memo: RedactMemo) {}

  /** the config's sections' bytes, in its key order and with their separators, added to `pieces`;
   *  those JSON leaves out are left out. Returns how many sections were added */
  addConfig(config: Record<string, unknown>, pieces: RowPieces): number {
    if (this.learnt !== secretsLearnt()) {
      this.objects = new WeakMap()
      this.scalars.clear()
      this.learnt = secretsLearnt()
    }
    let added = 0
    for (const k of Object.keys(config)) {
      const bytes = this.section(k, config[k])
      if (bytes === null) continue
      if (added++) pieces.add(BYTES.comma)
      pieces.add(bytes)
    }
    return added
  }

  private section(key: string, value: unknown): Buffer | null {
    if (isPlainObject(value)) {
      const hit = this.objects.get(value)
      if (hit !== undefined) return hit
      const bytes = entryBytes(key, redactSecrets(value, this.memo, { remembered: true }))
      this.objects.set(value, bytes)
      return bytes
    }
    const at = scalarKey(key, value)
    const hit = at === null ? undefined : this.scalars.get(at)
    if (hit !== undefined) return hit
    // a scalar or a list is masked by its key (a list under a secret name), as inside the whole config
    const bytes = entryBytes(key, maskRememberedEntry(key, value, this.memo))
    if (at !== null) this.scalars.set(at, bytes)
    return bytes
  }
}

function entryBytes(key: string, value: unknown): Buffer | null {
  const text = jsonAt(value, SECTION_INDENT)
  return text === undefined ? null : Buffer.from(`${SECTION_INDENT}${JSON.stringify(key)}: ${text}`)
}

export function printPlan(run: ResolvedRun): void {
  const root = run.loaded.rootDir
  const lines: string[] = []
  lines.push(`${pc.bold('config')} ${run.loaded.file ? path.relative(root, run.loaded.file) : '(none: defaults)'}`)
  for (const file of run.files) {
    const rel = path.relative(root, file)
    const mine = run.experiments.filter((e) => e.bench.file === rel)
    // a shard lists the files it has experiments from
    if (run.shard && mine.length === 0) continue
    lines.push(`${pc.bold(rel)}`)
    for (const x of mine) {
      const skip = x.mode === 'skip' ? pc.yellow(' (skip)') : ''
      lines.push(`  ${x.name}${skip}  ${pc.dim(`${x.id}  task ${x.task_hash}`)}`)
      if (x.series) lines.push(`    ${pc.dim(describePlannedSeries(x.config, x.series.cap) ?? '')}`)
    }
  }
  // a run without a bench file: its experiments come from the flags (flags-bench.ts)
  const fromFlags = run.experiments.filter((x) => x.bench.from_flags)
  if (fromFlags.length) lines.push(`${pc.bold('command line')} ${pc.dim('(no bench file: the bench is the flags)')}`)
  for (const x of fromFlags) {
    lines.push(`  ${x.name}  ${pc.dim(`${x.id}  task ${x.task_hash}`)}`)
    if (x.series) lines.push(`    ${pc.dim(describePlannedSeries(x.config, x.series.cap) ?? '')}`)
  }
  const run_ = run.experiments.filter((x) => x.mode === 'run').length
  // a bench by where it was declared and its name: a defineBench([...]) array's entries share one place
  const files = run.shard ? new Set(run.experiments.map((x) => x.bench.file)).size : run.files.length
  const shard = run.shard ? `shard ${run.shard.index}/${run.shard.count} (of ${run.shard.planned} planned experiments): ` : ''
  lines.push(`${shard}${files} files, ${new Set(run.experiments.map((x) => `${x.bench.location}\0${x.bench.full_name}`)).size} benches, ${run.experiments.length} experiments (${run_} to run)`)
  process.stdout.write(lines.join('\n') + '\n')
}
