/**
 * describe() / bench() / defineBench(): what a bench file calls at import time. Registrations go to a
 * collector kept on globalThis, so a bench file that resolves 'llem' to another copy of this module
 * (jiti transpiling it again, a user project's node_modules) still reaches the one collecting.
 */
import { pathToFileURL } from 'node:url'
import type { ExperimentOptions } from '../config/schema.js'

export type BenchMode = 'run' | 'skip' | 'only'

export interface SuiteFrame {
  name: string
  options: ExperimentOptions
  mode: BenchMode
  /** "file:line" of the describe() call */
  location: string
}

export interface CollectedBench {
  file: string
  name: string
  suites: SuiteFrame[]
  options: ExperimentOptions
  mode: BenchMode
  location: string
  /** how it was declared, for messages; 'flags': no bench file, built from the command line (flags-bench.ts) */
  kind: 'bench' | 'defineBench' | 'flags'
}

interface CollectorState {
  file: string | null
  stack: SuiteFrame[]
  benches: CollectedBench[]
}

const KEY = Symbol.for('llem.collector')
const g = globalThis as unknown as Record<symbol, CollectorState | undefined>

function state(): CollectorState {
  const s = g[KEY]
  if (!s || !s.file) throw new Error('describe() and bench() can only be called while llem collects a bench file (run it with `llem bench`)')
  return s
}

export function startCollecting(file: string): void {
  g[KEY] = { file, stack: [], benches: [] }
}

export function stopCollecting(): CollectedBench[] {
  const s = g[KEY]
  g[KEY] = undefined
  return s?.benches ?? []
}

/** "file:line" of the user's call, taken from the stack frame just outside this module. */
function callSite(file: string): string {
  const stack = new Error().stack?.split('\n') ?? []
  const forms = [file, pathToFileURL(file).href]
  // look for the known file (as a path or a URL), not for a path-shaped token: a path may hold spaces
  for (const line of stack) {
    for (const where of forms) {
      const i = line.indexOf(where + ':')
      if (i === -1 || (i > 0 && !/[\s(]/.test(line[i - 1]))) continue
      const m = /^:(\d+):\d+/.exec(line.slice(i + where.length))
      if (m) return `${file}:${m[1]}`
    }
  }
  return file
}

type SuiteFn = () => void

function registerSuite(mode: BenchMode, name: string, optionsOrFn: ExperimentOptions | SuiteFn | undefined, maybeFn?: SuiteFn): void {
  const s = state()
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn
  const options = typeof optionsOrFn === 'function' ? {} : (optionsOrFn ?? {})
  if (typeof name !== 'string' || !name) throw new TypeError('describe(name, options?, fn): name must be a non-empty string')
  if (typeof fn !== 'function') throw new TypeError(`describe("${name}"): the last argument must be a function that declares benches`)
  s.stack.push({ name, options, mode, location: callSite(s.file!) })
  try {
    const returned = fn() as unknown
    if (returned && typeof (returned as Promise<unknown>).then === 'function')
      throw new TypeError(`describe("${name}"): the callback must be synchronous (benches are declared, not run, at collection)`)
  } finally {
    s.stack.pop()
  }
}

function registerBench(mode: BenchMode, name: string, options: ExperimentOptions = {}): void {
  const s = state()
  if (typeof name !== 'string' || !name) throw new TypeError('bench(name, options): name must be a non-empty string')
  if (typeof options !== 'object' || options === null) throw new TypeError(`bench("${name}"): options must be an object`)
  s.benches.push({ file: s.file!, name, suites: [...s.stack], options, mode, location: callSite(s.file!), kind: 'bench' })
}

export interface DescribeFn {
  (name: string, fn: SuiteFn): void
  (name: string, options: ExperimentOptions, fn: SuiteFn): void
  skip: DescribeFn
  only: DescribeFn
}

export interface BenchFn {
  (name: string, options?: ExperimentOptions): void
  skip: (name: string, options?: ExperimentOptions) => void
  only: (name: string, options?: ExperimentOptions) => void
}

function makeDescribe(mode: BenchMode): DescribeFn {
  const fn = ((name: string, a?: ExperimentOptions | SuiteFn, b?: SuiteFn) => registerSuite(mode, name, a, b)) as DescribeFn
  return fn
}

export const describe = makeDescribe('run')
describe.skip = makeDescribe('skip')
describe.only = makeDescribe('only')

export const bench = ((name: string, options?: ExperimentOptions) => registerBench('run', name, options)) as BenchFn
bench.skip = (name, options) => registerBench('skip', name, options)
bench.only = (name, options) => registerBench('only', name, options)

/** `export default defineBench({ name, ...options })`, or an array of them, for a file without describe(). */
export interface BenchDefinition extends ExperimentOptions {
  /** defaults to the file name without .bench.ts */
  name?: string
  skip?: boolean
  only?: boolean
}

const DEFINED = Symbol.for('llem.defineBench')

export function defineBench<T extends BenchDefinition | BenchDefinition[]>(definition: T): T {
  if (typeof definition === 'object' && definition !== null) Object.defineProperty(definition, DEFINED, { value: true, enumerable: false })
  return definition
}

export function isDefinedBench(value: unknown): value is BenchDefinition | BenchDefinition[] {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINED] === true
}
