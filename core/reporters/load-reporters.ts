/**
 * Turns the `reporters` config entries into Reporter objects, the way Vitest does: a built-in name,
 * a path to a module (a .ts file works: it is loaded through jiti like bench and config files), a
 * package name, or an inline object, each optionally as ['spec', options]. A module may export an
 * `options` zod schema beside its default export: the options are checked against it before the
 * reporter is made. Every reporter gets its own context (its options and output file), registered
 * with the dispatcher so its onInit receives that context.
 */
import path from 'node:path'
import { closest } from '../config/suggest.js'
import { validateOptions } from '../config/validate.js'
import { InputError } from '../errors.js'
import { importPluginModule, isPathSpec, isSchema } from '../plugins/plugin-module.js'
import { bindReporter, reporterContext } from './dispatch.js'
import type { Reporter, ReporterContext, ReporterFactory, ReporterHook } from './types.js'

export type ReporterClass = new (ctx: ReporterContext) => Reporter
/** What a reporter module may export as default. */
export type ReporterExport = Reporter | ReporterFactory | ReporterClass
export type BuiltinReporters = Record<string, () => Promise<{ default: Reporter | ((ctx: ReporterContext) => Reporter) }>>

export interface LoadReportersOptions {
  /** config `outputFile`: one path for every file reporter, or reporter name -> path */
  outputFile: string | Record<string, string> | null
  builtins: BuiltinReporters
  /** where the specs were written, for messages about their options: the config file (the default),
   *  'command line' (--reporter) or an environment variable's name */
  specsFrom?: string | null
  /** where a record `outputFile` was written: its keys must each name a reporter (a typo is refused,
   *  not silently ignored) when the reporters are the config's own list, not a --reporter override */
  outputFileFrom?: string | null
}

const HOOKS: readonly ReporterHook[] = ['onInit', 'onPlan', 'onExperimentStart', 'onExperimentProgress', 'onExperimentEnd', 'onRunEnd']

export { isPathSpec }

export async function loadReporters(
  specs: unknown[],
  base: Omit<ReporterContext, 'options' | 'outputFile'>,
  opts: LoadReportersOptions,
): Promise<Reporter[]> {
  refuseSharedOutputFile(specs, opts)
  const reporters: Reporter[] = []
  // what a key of a record outputFile may name: a built-in, a spec as written, a reporter's name
  const keys = new Set(Object.keys(opts.builtins))
  for (const [i, raw] of specs.entries()) {
    const { target, options } = splitSpec(raw, i)
    const where = `reporters[${i}]`
    if (typeof target !== 'string') {
      // inline object: used as is; its name (if any) is its key in an outputFile record
      const reporter = checkReporter(target, `${where} (inline reporter)`)
      if (reporter.name) keys.add(reporter.name)
      const ctx = makeContext(base, options, outputFor(opts.outputFile, options, [reporter.name], base.rootDir))
      bindReporter(reporter, ctx, reporter.name ?? `inline reporter #${i + 1}`)
      reporters.push(reporter)
      continue
    }
    const builtin = !isPathSpec(target) && Object.hasOwn(opts.builtins, target)
    const { exported, schema } = builtin ? { exported: await importBuiltin(target, opts.builtins), schema: undefined } : await importModule(target, base.rootDir, opts.builtins)
    const checked = schema ? checkOptions(schema, options, i, target, opts.specsFrom !== undefined ? opts.specsFrom : base.configFile) : options
    const names = [target, isObject(exported) ? (exported as Reporter).name : undefined]
    const ctx = makeContext(base, checked, outputFor(opts.outputFile, checked, names, base.rootDir))
    let reporter = await instantiate(exported, ctx, `reporter "${target}"`)
    for (const k of [...names, reporter.name]) if (k) keys.add(k)
    // one module object listed twice (a package exporting an object, cached by Node) is two reporters,
    // each with its own context: the second is a view of it, its hooks inherited, its bindings its own
    if (reporters.includes(reporter) || reporterContext(reporter) !== undefined) reporter = Object.create(reporter) as Reporter
    bindReporter(reporter, ctx, target)
    reporters.push(reporter)
  }
  if (opts.specsFrom === undefined || opts.specsFrom === base.configFile) refuseUnknownOutputKeys(opts, keys, base.configFile)
  return reporters
}

/**
 * `outputFile: { jsn: 'r.json' }`: a key that is a typo of a reporter's would leave the file at its
 * default place, silently. A key close to no reporter of this run is left alone: it may be for one
 * used on demand (`llem report --reporter ./mine.ts`).
 */
function refuseUnknownOutputKeys(opts: LoadReportersOptions, keys: Set<string>, configFile: string | null): void {
  if (opts.outputFile === null || typeof opts.outputFile !== 'object') return
  const from = opts.outputFileFrom !== undefined ? opts.outputFileFrom : configFile
  const file = from === null ? 'command line' : path.isAbsolute(from) ? path.relative(process.cwd(), from) || from : from
  for (const key of Object.keys(opts.outputFile)) {
    if (keys.has(key) || isPathSpec(key)) continue
    const guess = closest(key, [...keys])
    if (guess) throw new InputError('CONFIG_INVALID', `${file}: outputFile[${JSON.stringify(key)}] names no reporter of this run; did you mean "${guess}"? (a key is a built-in reporter, a reporter spec as written, or a reporter's name)`, { where: `outputFile.${key}` })
  }
}

// the built-ins that write nothing to a file; every other built-in writes its outputFile
const NO_FILE = new Set(['console', 'github-actions'])

/**
 * One outputFile path shared by two built-in file reporters would make the last one to write replace
 * the others (JSON overwritten by CSV): refused before anything runs. A reporter's own
 * options.outputFile is its own; custom reporters are not counted, since llem cannot tell whether they
 * write the path.
 */
function refuseSharedOutputFile(specs: unknown[], opts: LoadReportersOptions): void {
  if (typeof opts.outputFile !== 'string') return
  const sharing = specs
    .map((raw, i) => ({ raw, ...splitSpec(raw, i) }))
    .filter(({ target, options }) => typeof target === 'string' && !isPathSpec(target) && target in opts.builtins && !NO_FILE.has(target) && !(typeof options.outputFile === 'string' && options.outputFile.length > 0))
    .map(({ target }) => target as string)
  const names = [...new Set(sharing)]
  if (sharing.length < 2) return
  const perReporter = names.map((n) => `--outputFile.${n} <path>`).join(' ')
  throw new InputError(
    'CONFIG_INVALID',
    `outputFile "${opts.outputFile}" is one path for ${sharing.length} file reporters (${names.join(', ')}): each would overwrite the other; give each its own: ${perReporter} (in the config: outputFile: { ${names.map((n) => `'${n}': '...'`).join(', ')} })`,
    { where: 'outputFile' },
  )
}

function splitSpec(raw: unknown, i: number): { target: string | object; options: Record<string, unknown> } {
  if (typeof raw === 'string' && raw.length > 0) return { target: raw, options: {} }
  if (Array.isArray(raw) && raw.length === 2 && typeof raw[0] === 'string' && raw[0].length > 0 && isObject(raw[1]))
    return { target: raw[0], options: raw[1] as Record<string, unknown> }
  if (isObject(raw)) return { target: raw, options: {} }
  throw new InputError('CONFIG_INVALID', `reporters[${i}]: expected a reporter name, a path, ['name', { options }] or a reporter object; got ${JSON.stringify(raw)}`, { where: `reporters[${i}]` })
}

function makeContext(base: Omit<ReporterContext, 'options' | 'outputFile'>, options: Record<string, unknown>, outputFile: string | null): ReporterContext {
  return { ...base, options, outputFile }
}

/**
 * The reporter's own `options.outputFile` wins; then the config's record entry for one of `keys`
 * (the spec as written, or the reporter's name); then the config's single path. Relative paths are
 * relative to the project root, not the working directory, so a config file means the same from anywhere.
 */
export function outputFor(configured: string | Record<string, string> | null, options: Record<string, unknown>, keys: Array<string | undefined>, rootDir: string): string | null {
  let file: string | undefined
  if (typeof options.outputFile === 'string' && options.outputFile.length > 0) file = options.outputFile
  else if (typeof configured === 'string') file = configured
  else if (configured) file = keys.map((k) => (k === undefined ? undefined : configured[k])).find((v) => v !== undefined)
  return file === undefined ? null : path.resolve(rootDir, file)
}

async function importBuiltin(name: string, builtins: BuiltinReporters): Promise<unknown> {
  const load = builtins[name]
  if (!load) {
    const names = Object.keys(builtins)
    const guess = closest(name, names)
    throw new InputError('PLUGIN_NOT_FOUND', `unknown reporter "${name}" (built-ins: ${names.join(', ')})${guess ? `; did you mean "${guess}"?` : ''}`, { where: 'reporters' })
  }
  return (await load()).default
}

/** A path or a package: its default export, and its `options` schema when it exports one. */
async function importModule(spec: string, rootDir: string, builtins: BuiltinReporters): Promise<{ exported: unknown; schema: import('zod').ZodType | undefined }> {
  const { file, exports } = await importPluginModule(spec, rootDir, 'reporter', Object.keys(builtins))
  // a CommonJS module or one without a default export: jiti gives the namespace, used as the reporter
  const exported = 'default' in exports ? exports.default : exports
  if (exports.options !== undefined && !isSchema(exports.options))
    throw new InputError('CONFIG_INVALID', `reporter "${spec}" (${file}): its \`options\` export must be a zod schema (import { z } from 'llem/plugin')`, { file, where: 'reporters' })
  return { exported, schema: exports.options as import('zod').ZodType | undefined }
}

/**
 * The reporter's options against its schema, with messages that name where the spec was written (the
 * config file, the command line) and the dotted path (reporters.2.budgetJ). `outputFile` is llem's own
 * key: never the schema's to refuse.
 */
function checkOptions(schema: import('zod').ZodType, options: Record<string, unknown>, i: number, spec: string, from: string | null): Record<string, unknown> {
  const { outputFile, ...own } = options
  const file = from === null ? 'command line' : path.isAbsolute(from) ? path.relative(process.cwd(), from) || from : from
  const parsed = validateOptions(schema, own, { file, label: `reporter "${spec}"`, prefix: `reporters.${i}.1`, code: 'CONFIG_INVALID' }) as Record<string, unknown>
  return outputFile === undefined ? parsed : { ...parsed, outputFile }
}

/**
 * A default export that is a class is constructed, any other function is a factory (an async one is
 * awaited), an object is the reporter.
 */
async function instantiate(exported: unknown, ctx: ReporterContext, what: string): Promise<Reporter> {
  if (typeof exported === 'function') {
    let made: unknown
    try {
      made = isClass(exported) ? new (exported as ReporterClass)(ctx) : await (exported as ReporterFactory)(ctx)
    } catch (e) {
      // a factory refusing its options (a budget reporter without a budget) is the user's input to fix
      throw new InputError('CONFIG_INVALID', `${what}: creating it failed: ${e instanceof Error ? e.message : String(e)}`, { where: 'reporters', cause: e })
    }
    return checkReporter(made, `${what} (the object its default export returned)`)
  }
  const reporter = checkReporter(exported, what)
  // a module with no default export gives its namespace object: say so rather than run nothing
  if (!HOOKS.some((h) => typeof (reporter as Record<string, unknown>)[h] === 'function'))
    throw new InputError('PLUGIN_NOT_FOUND', `${what}: its default export is not a reporter (an object with hooks such as onRunEnd, a factory (ctx) => reporter, or a class)`, { where: 'reporters' })
  return reporter
}

function checkReporter(value: unknown, what: string): Reporter {
  if (!isObject(value)) throw new InputError('PLUGIN_NOT_FOUND', `${what}: expected a reporter object, got ${value === null ? 'null' : typeof value}`, { where: 'reporters' })
  const r = value as Record<string, unknown>
  for (const hook of HOOKS)
    if (r[hook] !== undefined && typeof r[hook] !== 'function') throw new InputError('CONFIG_INVALID', `${what}: ${hook} must be a function, got ${typeof r[hook]}`, { where: 'reporters' })
  if (r.name !== undefined && typeof r.name !== 'string') throw new InputError('CONFIG_INVALID', `${what}: name must be a string`, { where: 'reporters' })
  return value as Reporter
}

/** `class` syntax, or a constructor function with hooks on its prototype (a class compiled down to ES5) */
function isClass(fn: object): boolean {
  if (/^class[\s{]/.test(Function.prototype.toString.call(fn))) return true
  const proto = (fn as { prototype?: Record<string, unknown> }).prototype
  return proto !== undefined && HOOKS.some((h) => typeof proto[h] === 'function')
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
