/**
 * The two layers above the files: LLEM_* environment variables and CLI flags. Both name an option by
 * its dotted path (`--measurement.warmup.maxRequests 10`, `LLEM_MEASUREMENT__WARMUP__MAX_REQUESTS=10`)
 * and carry strings, coerced by the type the schema expects at that path.
 */
import { splitList } from './split-list.js'
import { InputError } from '../errors.js'
import type { OptionLayer } from './layers.js'
import { setPath } from './layers.js'
import { configSchema, RUN_ONLY_KEYS } from './schema.js'
import { closest } from './suggest.js'
import { declaredLeafPaths, schemasAt } from './zod-walk.js'
import { normaliseOptions } from './normalise.js'
import { preprocess, validateOptions } from './validate.js'

let leafCache: string[] | undefined
/** Every option path a flag or env var may name, e.g. 'load.concurrency', 'backend', 'dataset.file'. */
export function optionPaths(): string[] {
  leafCache ??= declaredLeafPaths(configSchema)
  return leafCache
}

export function envVarName(dotted: string): string {
  return 'LLEM_' + dotted.split('.').map((seg) => seg.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase()).join('__')
}

/** A string from a flag or env var, turned into what the schema at `dotted` accepts. */
export function coerceValue(dotted: string, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw
  // schemasAt strips nullable, so 'null' is tried against the whole schema: `--load.requests null` unsets
  if (raw === 'null') {
    const probe: Record<string, unknown> = {}
    setPath(probe, dotted, null)
    if (configSchema.safeParse(probe).success) return null
  }
  const candidates = schemasAt(configSchema, dotted.split('.'))
  const attempts: unknown[] = []
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    /* not JSON: a plain string */
  }
  // `--model '{"random":"llama-25m"}'` is an object, not a model path; `--model 7b.gguf` stays a string
  // under a free-form key (backend.threads) the schema is the plugin's: JSON types are the best guess
  if (candidates.length === 0) return json ?? raw
  if (/^\s*[[{]/.test(raw) && json !== undefined) attempts.push(json, raw)
  else attempts.push(raw, ...(json === undefined ? [] : [json]))
  if (raw === 'Infinity' || raw === 'inf') attempts.push('inf')
  attempts.push(splitList(raw))
  for (const value of attempts) if (candidates.some((s) => s.safeParse(value).success)) return value
  // nothing fits: the value as JSON reads it (`0` a number) gets the schema's own reason ("too small"),
  // not "expected number, got string"; text that is no JSON stays text, and `null` only unsets an
  // option that may be null (elsewhere it stays the word, refused as such)
  return json !== undefined && json !== null && typeof json !== 'string' ? json : raw
}

/** One flag or env var's value against the schema at its path: the message names where it came from. */
function checkValue(dotted: string, value: unknown, file: string, label?: string): void {
  const candidates = schemasAt(configSchema, dotted.split('.'))
  // deeper than the schema knows (backend.threads): the backend's own schema checks it at plan time
  if (candidates.length === 0 || value === null) return
  if (candidates.some((c) => c.safeParse(preprocess(value)).success)) return
  validateOptions(candidates[0], value, { file, label, prefix: dotted })
}

function checkPath(dotted: string, what: (p: string) => string, file: string): void {
  const paths = optionPaths()
  if (paths.includes(dotted) || paths.some((p) => p.startsWith(dotted + '.'))) return
  // a deeper path under an atomic or free-form key (backend.threads, probes.rapl.root) is allowed
  if (paths.some((p) => dotted.startsWith(p + '.'))) return
  const guess = closest(dotted, paths)
  throw new InputError('CONFIG_INVALID', `${file}: unknown option ${what(dotted)}` + (guess ? ` (did you mean ${what(guess)}?)` : ''), { file, where: dotted })
}

export interface OverrideLayers {
  env: OptionLayer
  cli: OptionLayer
  /** run-only keys (resultsDir, reporters...) from env and flags, merged in that order */
  run: Record<string, unknown>
  cliOverrides: Record<string, unknown>
}

export function buildOverrideLayers(env: NodeJS.ProcessEnv, flags: Record<string, string | boolean>): OverrideLayers {
  const envRun: Record<string, unknown> = {}
  const envValues: Record<string, unknown> = {}
  const envDetails: Record<string, string> = {}
  for (const dotted of optionPaths()) {
    const name = envVarName(dotted)
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    const value = coerceValue(dotted, raw)
    checkValue(dotted, value, 'environment', name)
    if (RUN_ONLY_KEYS.has(dotted.split('.')[0])) setPath(envRun, dotted, value)
    else setPath(envValues, dotted, value)
    envDetails[dotted] = name
  }
  refuseUnreadVariables(env, envDetails)
  const cliValues: Record<string, unknown> = {}
  const cliDetails: Record<string, string> = {}
  const cliOverrides: Record<string, unknown> = {}
  const cliRun: Record<string, unknown> = {}
  // whole values first: `--probes rapl --probes.rapl.root /x` and the other order mean the same
  let probesFromList = false
  const depth = (dotted: string) => dotted.split('.').length
  for (const [dotted, raw] of Object.entries(flags).sort((a, b) => depth(a[0]) - depth(b[0]))) {
    // a sweep's keys are dotted paths themselves (`load.concurrency`): `--sweep.load.concurrency` cannot
    // say where its key ends; the sweep is given whole
    if (dotted.startsWith('sweep.'))
      throw new InputError('CONFIG_INVALID', `command line: --${dotted}: a sweep is given whole, as JSON: --sweep '{"${dotted.slice('sweep.'.length)}":[...]}'`, { where: dotted })
    checkPath(dotted, (p) => `--${p}`, 'command line')
    const value = coerceValue(dotted, raw)
    checkValue(dotted, value, 'command line', `--${dotted}`)
    if (RUN_ONLY_KEYS.has(dotted.split('.')[0])) setPath(cliRun, dotted, value)
    else if (setRefining(cliValues, dotted, value).probesFromList) probesFromList = true
    cliDetails[dotted] = `--${dotted}`
    cliOverrides[dotted] = value
  }
  // every value was checked at its own path above (run-only keys too: LLEM_BAIL=abc must not become a
  // bail of "abc"); whole layers are not, since `--backend.threads 2` alone is no complete backend
  const run = { ...envRun, ...cliRun }
  return {
    env: { source: 'env', detail: 'environment', values: normaliseOptions(envValues), details: envDetails },
    cli: { source: 'cli', detail: 'command line', values: normaliseOptions(cliValues), details: cliDetails, ...(probesFromList ? { probesFromList } : {}) },
    run,
    cliOverrides,
  }
}

/**
 * A dotted flag under a whole value given beside it refines that value: `--backend openai
 * --backend.baseURL x` is the openai backend at x, `--probes rapl --probes.rapl.root /x` the probe set
 * {rapl} with its root (the set stays exactly the list: layers.ts replaces it whole, as the list did).
 */
function setRefining(obj: Record<string, unknown>, dotted: string, value: unknown): { probesFromList: boolean } {
  const head = dotted.split('.')[0]
  let probesFromList = false
  if (dotted !== head) {
    const whole = obj[head]
    if (head === 'backend' && typeof whole === 'string') obj[head] = { name: whole }
    else if (head === 'probes' && Array.isArray(whole)) {
      obj[head] = Object.fromEntries(whole.map((n) => [String(n), {}]))
      probesFromList = true
    }
  }
  setPath(obj, dotted, value)
  return { probesFromList }
}

/**
 * LLEM_BACKEND__BASE_URL and LLEM_PROBES__RAPL__ROOT name a plugin's options, which depend on the
 * plugin and have no variables (the names cannot be turned back into its keys: baseURL or baseUrl?).
 * Read as nothing, they would leave the run measuring another server than the one meant: refused.
 * So is LLEM_SWEEP__*: a sweep's keys are dotted paths themselves, and LLEM_SWEEP gives it whole.
 */
function refuseUnreadVariables(env: NodeJS.ProcessEnv, read: Record<string, string>): void {
  const used = new Set(Object.values(read))
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || raw === '' || used.has(name)) continue
    if (name.startsWith('LLEM_SWEEP__'))
      throw new InputError('CONFIG_INVALID', `environment ${name}: a sweep is given whole, as JSON: LLEM_SWEEP='{"<dotted.key>":[...]}'`, { where: name })
    if (!/^LLEM_(BACKEND|PROBES)__/.test(name)) continue
    const section = name.startsWith('LLEM_BACKEND__') ? 'backend' : 'probes'
    const whole = section === 'backend' ? 'LLEM_BACKEND=<name> names the backend' : 'LLEM_PROBES=<list> names the probes'
    throw new InputError('CONFIG_INVALID', `environment ${name}: ${section} options have no environment variables (their names depend on the ${section === 'backend' ? 'backend' : 'probe'}); give it as --${section}.<key> on the command line or in the config (${whole})`, { where: name })
  }
}

/** Whether the option at `dotted` takes only true/false (a bare flag then means true). */
export function isBooleanOption(dotted: string): boolean {
  const candidates = schemasAt(configSchema, dotted.split('.'))
  return candidates.length > 0 && candidates.every((c) => c.safeParse(true).success && !c.safeParse('x').success && !c.safeParse(1).success)
}
