/**
 * `.only`, as Vitest treats it: it narrows the run within the file it is written in (other files run in
 * full), and under CI it is refused unless allowed, since a `.only` left in by mistake would make a CI
 * job measure a fraction of its benches and still pass.
 */
import path from 'node:path'
import type { CollectedBench } from '../api/collector.js'
import { InputError } from '../errors.js'

/** The bench files holding at least one bench or suite marked `.only`. */
export function filesWithOnly(benches: CollectedBench[]): Set<string> {
  return new Set(benches.filter((b) => b.mode === 'only' || b.suites.some((s) => s.mode === 'only')).map((b) => b.file))
}

/** Each `.only` once, as "file:line: bench.only("name")" (a suite holding several benches is one mark). */
export function onlyMarks(benches: CollectedBench[], rootDir: string): string[] {
  const marks = new Map<string, string>()
  const rel = (loc: string, file: string) => `${path.relative(rootDir, file) || file}${loc.slice(file.length)}`
  for (const b of benches) {
    for (const s of b.suites) if (s.mode === 'only') marks.set(s.location + '\0' + s.name, `${rel(s.location, b.file)}: describe.only("${s.name}")`)
    if (b.mode !== 'only') continue
    // a defineBench entry has no line of its own: its file and name say which one
    if (b.kind === 'defineBench') marks.set(b.location + '\0' + b.name, `${rel(b.location, b.file)}: defineBench entry "${b.name}" with only: true`)
    else marks.set(b.location + '\0' + b.name, `${rel(b.location, b.file)}: bench.only("${b.name}")`)
  }
  return [...marks.values()]
}

/** Whether the environment says this is CI: CI set to anything but '', 'false' or '0'. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
}

/** Refuses any `.only` when it is not allowed: `allowOnly` as configured, else allowed outside CI. */
export function checkOnlyAllowed(benches: CollectedBench[], rootDir: string, allowOnly: boolean | null, env: NodeJS.ProcessEnv): void {
  const allowed = allowOnly ?? !isCI(env)
  if (allowed) return
  const marks = onlyMarks(benches, rootDir)
  if (marks.length === 0) return
  const why = allowOnly === false ? 'allowOnly is false' : `CI is set (CI=${env.CI})`
  throw new InputError(
    'BENCH_ONLY',
    `.only is refused because ${why}: a forgotten .only would run only the marked benches of its file and silently skip the others\n` +
      marks.map((m) => `  ${m}`).join('\n') +
      '\nremove the .only, or pass --allowOnly (config `allowOnly: true`, LLEM_ALLOW_ONLY=true) to run it anyway',
    { file: [...filesWithOnly(benches)][0] },
  )
}
