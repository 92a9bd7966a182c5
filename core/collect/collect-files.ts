/**
 * Step 3: import each bench file through jiti and collect what it declares. 'llem' is aliased to the
 * running copy of the public API so a bench file works in this repo and in a project that installed llem.
 */
import path from 'node:path'
import { InputError } from '../errors.js'
import { startCollecting, stopCollecting, isDefinedBench, type CollectedBench, type BenchDefinition } from '../api/collector.js'
import { describeImportError } from '../config/import-error.js'
import { experimentOptionsSchema } from '../config/schema.js'
import { validateOptions } from '../config/validate.js'
import { importUserModule } from '../user-modules.js'

export async function collectFile(file: string, rootDir: string): Promise<CollectedBench[]> {
  startCollecting(file)
  let mod: unknown
  try {
    mod = await importUserModule(file)
  } catch (e) {
    stopCollecting()
    throw new InputError('BENCH_IMPORT', describeImportError(e, file, 'bench file'), { file, cause: e })
  }
  const benches = stopCollecting()
  const def = (mod as { default?: unknown } | undefined)?.default
  if (isDefinedBench(def)) benches.push(...fromDefinitions(def, file))
  const rel = path.relative(rootDir, file) || file
  for (const b of benches) {
    const line = b.location.slice(file.length)
    for (const suite of b.suites)
      suite.options = validateOptions(experimentOptionsSchema, suite.options, { file: `${rel}${suite.location.slice(file.length)}`, label: `describe("${suite.name}")`, code: 'BENCH_INVALID' })
    const { name: _n, skip: _s, only: _o, ...opts } = b.options as BenchDefinition
    b.options = validateOptions(experimentOptionsSchema, opts, { file: `${rel}${line}`, label: `${b.kind}("${b.name}")`, code: 'BENCH_INVALID' })
  }
  return benches
}

function fromDefinitions(def: BenchDefinition | BenchDefinition[], file: string): CollectedBench[] {
  const list = Array.isArray(def) ? def : [def]
  const base = path.basename(file).replace(/\.bench\.[cm]?[jt]s$/, '').replace(/\.[cm]?[jt]s$/, '')
  return list.map((d, i) => ({
    file,
    name: d.name ?? (list.length > 1 ? `${base} #${i + 1}` : base),
    suites: [],
    options: d,
    mode: d.only ? 'only' : d.skip ? 'skip' : 'run',
    location: file,
    kind: 'defineBench' as const,
  }))
}

export async function collectFiles(files: string[], rootDir: string): Promise<CollectedBench[]> {
  const all: CollectedBench[] = []
  for (const f of files) all.push(...(await collectFile(f, rootDir)))
  return all
}

/**
 * `.only` in a file narrows that file to the marked benches (and suites), as in Vitest: `fileHasOnly`
 * is whether the bench's own file has one (only.ts). `.skip` on a suite skips its benches.
 */
export function effectiveMode(b: CollectedBench, fileHasOnly: boolean): 'run' | 'skip' {
  const modes = [...b.suites.map((s) => s.mode), b.mode]
  if (modes.includes('skip')) return 'skip'
  if (fileHasOnly && !modes.includes('only')) return 'skip'
  return 'run'
}

export function fullName(b: CollectedBench): string {
  return [...b.suites.map((s) => s.name), b.name].join(' > ')
}
