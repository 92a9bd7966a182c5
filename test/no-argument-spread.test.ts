/**
 * A lint rule as a test: no `Math.max(...xs)` / `Math.min(...xs)` / `String.fromCharCode(...xs)`
 * anywhere in the repository. Spreading a list passes every element as a call argument, and V8
 * overflows the stack somewhere past ~100k arguments: a long window sampled from 8 GPUs, or 200k ITL
 * stamps in a benchmark, crashed llem this way. `maxOf` / `minOf` (core/stats/extent.ts) loop instead.
 * The rule is on the call, not on whether a given list is short: a list that is short today is
 * the one that grows tomorrow.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from './fixtures/project.js'

const ROOTS = ['core', 'plugins', 'benchmarks', 'scripts', 'test', 'bin']
const SKIP = new Set(['node_modules', 'dist', '.git'])
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/
const SPREAD_CALL = /\b(Math\.(?:max|min)|String\.fromCharCode)\(\s*\.\.\./

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) yield* sources(p)
    else if (SOURCE.test(name) || (dir.endsWith('scripts') && !name.includes('.'))) yield p
  }
}

/** code only: whole-line comments and trailing // comments are prose, where the pattern may be named */
const codeOf = (line: string) => (/^\s*(\*|\/\/|\/\*)/.test(line) ? '' : line.replace(/\s\/\/.*$/, ''))

describe('no spread of a list into call arguments', () => {
  it('finds no spread into Math.max, Math.min or String.fromCharCode in the repository', () => {
    const hits: string[] = []
    for (const root of ROOTS) {
      let files: string[]
      try {
        files = [...sources(path.join(REPO, root))]
      } catch {
        continue // a root the repository does not have (bin/ is optional)
      }
      for (const file of files) {
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          if (SPREAD_CALL.test(codeOf(line))) hits.push(`${path.relative(REPO, file)}:${i + 1}: ${line.trim()}`)
        })
      }
    }
    expect(hits, `use maxOf/minOf from core/stats/extent.ts instead:\n${hits.join('\n')}`).toEqual([])
  })

  it('the rule sees a spread call when there is one (it would catch a new one)', () => {
    // assembled here so that this file does not contain what it forbids
    const call = (fn: string, args: string) => `Math.${fn}(${args})`
    expect(SPREAD_CALL.test(codeOf(`  const hi = ${call('max', '...samples')}`))).toBe(true)
    expect(SPREAD_CALL.test(codeOf(`  const lo = ${call('min', ' ...rows.map((r) => r.t)')}`))).toBe(true)
    expect(SPREAD_CALL.test(codeOf(` * \`${call('max', '...values')}\` overflows`))).toBe(false)
    expect(SPREAD_CALL.test(codeOf(`  const hi = ${call('max', 'a, b')}`))).toBe(false)
  })
})
