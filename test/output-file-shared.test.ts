/**
 * One --outputFile path given to several file reporters would make each overwrite the other (the JSON
 * replaced by the CSV): refused before anything runs, exit 2, pointing at --outputFile.<reporter>.
 * One path for one file reporter (console and github-actions write no file) stays fine.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError } from '../core/errors.js'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { loadReporters } from '../core/reporters/load-reporters.js'
import { captureStream } from './fixtures/reporter-context.js'
import { makeProject, runCli } from './fixtures/project.js'

const rootDir = path.resolve(import.meta.dirname, 'fixtures')
const base = { runId: 'run-1', runDir: '/tmp/llem-run-1', rootDir, configFile: null, stdout: captureStream().stream, isTTY: false, verbose: false }
const load = (specs: unknown[], outputFile: string | Record<string, string> | null) => loadReporters(specs, base, { outputFile, builtins: builtinReporters })

describe('one outputFile for several file reporters', () => {
  it('is refused with exit 2, naming the reporters and --outputFile.<reporter>', async () => {
    const e = await load(['console', 'json', 'csv'], 'out/results').catch((err: unknown) => err)
    expect(e).toBeInstanceOf(InputError)
    expect((e as InputError).exitCode).toBe(2)
    expect((e as InputError).message).toContain('json, csv')
    expect((e as InputError).message).toContain('--outputFile.json')
    expect((e as InputError).message).toContain('--outputFile.csv')
  })

  it('is fine for one file reporter beside console, for a record, and for a reporter with its own path', async () => {
    expect(await load(['console', 'json'], 'out/results.json')).toHaveLength(2)
    expect(await load(['json', 'csv'], { json: 'a.json', csv: 'b.csv' })).toHaveLength(2)
    expect(await load([['json', { outputFile: 'mine.json' }], 'csv'], 'shared.csv')).toHaveLength(2)
  })

  it('llem bench refuses it before creating a run directory', async () => {
    const dir = makeProject({ 'package.json': '{ "name": "p", "private": true, "type": "module" }\n', 'benchmarks/t.bench.ts': "import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n" })
    const r = await runCli(dir, ['bench', '--reporter', 'json', '--reporter', 'csv', '--outputFile', 'out/results'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--outputFile.json')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(existsSync(path.join(dir, 'llem-results'))).toBe(false)
    expect(existsSync(path.join(dir, 'out'))).toBe(false)
  })
})
