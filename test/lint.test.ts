/**
 * ESLint over the repository (eslint.config.js): the layering rule (`llem/layering`), no spread of a
 * list into Math.max / Math.min / String.fromCharCode, typescript-eslint's recommended rules that
 * need no type information, and the format (@stylistic; `npm run format` fixes it). A failure lists
 * each problem as file:line:column.
 *
 * Results are cached in .eslintcache (git-ignored, keyed by file content and the config), so only
 * changed files are linted again: about 17 s cold on a 2-core machine, 2-3 s warm.
 * Then the rules themselves, on planted sources that exist only in memory.
 */
import path from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { REPO } from './fixtures/project.js'

const ROOTS = ['core', 'plugins', 'test', 'scripts', 'benchmarks', 'bin', '*.js', '*.ts']

/** file:line:column rule: message, for every problem in the results */
function problems(results: ESLint.LintResult[]): string[] {
  return results.flatMap((r) => r.messages.map((m) => `${path.relative(REPO, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? ''}: ${m.message}`))
}

/** lints `code` as though it were the file at `file` (repository-relative); nothing is written */
async function lintAs(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO })
  return problems(await eslint.lintText(code, { filePath: path.join(REPO, file) }))
}

describe('lint', () => {
  it('the repository passes eslint', async () => {
    const eslint = new ESLint({ cwd: REPO, cache: true, cacheLocation: path.join(REPO, '.eslintcache'), cacheStrategy: 'content' })
    const found = problems(await eslint.lintFiles(ROOTS))
    expect(found, `npx eslint . reports:\n${found.join('\n')}`).toEqual([])
  })

  it('a plugin reaches core only as llem/plugin', async () => {
    const planted = [
      "import { InputError } from '../../../core/errors.js'",
      "import type { Backend } from '../../../core/backends/types.js'",
      "export { maxOf } from '../../../core/stats/extent.js'",
      "import { LlemError } from '../../../core/plugin.js'",
      "import { bench } from 'llem'",
      "const lazy = () => import('../../../core/workload/dataset.js')",
      "type T = import('../../../core/results/schema.js').AggregatedResult",
      "import { z, defineBackend } from 'llem/plugin'",
      "import { parse } from './sse-parser.js'",
      "import { other } from '../../probes/rapl.js'",
      'export { InputError, Backend, maxOf, LlemError, bench, lazy, T, z, defineBackend, parse, other }',
    ].join('\n')
    const found = await lintAs('plugins/backends/planted/index.ts', planted)
    const layering = found.filter((l) => l.includes('llem/layering'))
    expect(layering.map((l) => l.split(' ')[0])).toEqual([1, 2, 3, 4, 5, 6, 7].map((line) => expect.stringMatching(new RegExp(`^plugins/backends/planted/index\\.ts:${line}:`))))
    expect(layering[0]).toContain("a plugin imports core/errors.js by a relative path: import it from 'llem/plugin'")
    expect(layering[4]).toContain("a plugin imports 'llem': plugins import llem only as 'llem/plugin'")
  })

  it('core names a plugin only in its registries, and core/plugins/ is not plugins/', async () => {
    const found = await lintAs('core/run/planted.ts', "import { raplProbe } from '../../plugins/probes/rapl.js'\nimport { loadProbe } from '../plugins/load-plugins.js'\nexport const x = [raplProbe, loadProbe, () => import('../../plugins/reporters/json.js')]\n")
    expect(found).toEqual([
      expect.stringMatching(/^core\/run\/planted\.ts:1:\d+ llem\/layering: core imports plugins\/probes\/rapl\.js: only the registries/),
      expect.stringMatching(/^core\/run\/planted\.ts:3:\d+ llem\/layering: core imports plugins\/reporters\/json\.js/),
    ])
    expect(await lintAs('core/plugins/builtins.ts', "export const load = () => import('../../plugins/probes/rapl.js')\n")).toEqual([])
  })

  it('an unformatted file fails, and `eslint --fix` (npm run format) formats it', async () => {
    const messy = 'export const a = "x";\nexport function f(v: number) {\n    return [\n      v,\n      v\n    ]\n}\n\n\nexport const b = 1'
    const rules = (await lintAs('core/planted.ts', messy)).map((l) => l.split(' ')[1])
    expect(rules).toEqual(['@stylistic/quotes:', '@stylistic/semi:', '@stylistic/indent:', '@stylistic/indent:', '@stylistic/indent:', '@stylistic/comma-dangle:', '@stylistic/indent:', '@stylistic/no-multiple-empty-lines:', '@stylistic/eol-last:'])
    const eslint = new ESLint({ cwd: REPO, fix: true })
    const [fixed] = await eslint.lintText(messy, { filePath: path.join(REPO, 'core/planted.ts') })
    expect(fixed.output).toBe("export const a = 'x'\nexport function f(v: number) {\n  return [\n    v,\n    v,\n  ]\n}\n\nexport const b = 1\n")
  })

  it('no spread of a list into Math.max, Math.min or String.fromCharCode', async () => {
    // assembled here so that this file does not contain what it forbids
    const call = (fn: string, args: string) => `${fn}(${args})`
    const code = [
      `export const a = ${call('Math.max', '...xs')}`,
      `export const b = ${call('Math.min', '0, ...xs.map((x) => x * 2)')}`,
      `export const c = ${call('String.fromCharCode', '...codes')}`,
      `export const d = ${call('Math.max.apply', 'null, xs')}`,
      `export const e = ${call('Math.max', 'xs[0], xs[1]')}`,
      `export const f = ${call('Math.max', '0, maxOf(xs)')}`,
    ].join('\n')
    const found = await lintAs('scripts/planted.ts', `declare const xs: number[]\ndeclare const codes: number[]\ndeclare function maxOf(v: number[]): number\n${code}\n`)
    expect(found.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([4, 5, 6, 7].map((line) => expect.stringMatching(new RegExp(`^scripts/planted\\.ts:${line}:\\d+ no-restricted-syntax:$`))))
  })
})
