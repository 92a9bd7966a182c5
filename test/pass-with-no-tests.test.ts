/**
 * --passWithNoTests (config passWithNoTests): when nothing matches, say so and exit 0 instead of 1,
 * as Vitest's flag does. The message keeps saying what was looked for; bad input is still exit 2.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const ONE = "import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n"

describe('--passWithNoTests', () => {
  it('no bench file at all: exit 0 with the usual explanation; without the flag exit 1', async () => {
    const dir = makeProject({ 'package.json': PKG, 'src/x.ts': 'export {}\n' })
    const [pass, fail] = await Promise.all([runCli(dir, ['bench', '--passWithNoTests']), runCli(dir, ['bench'])])
    expect(pass.code).toBe(0)
    expect(pass.stderr).toContain('no bench files were found at all')
    expect(pass.stderr).toContain('--passWithNoTests')
    expect(fail.code).toBe(1)
    expect(fail.stderr).toContain('no bench files were found at all')
  })

  it('a filter and a -t that match nothing pass too, still naming what there is', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/one.bench.ts': ONE })
    const [byFile, byName] = await Promise.all([runCli(dir, ['bench', 'nothing-like-this', '--passWithNoTests']), runCli(dir, ['bench', '-t', 'zzz', '--passWithNoTests'])])
    for (const r of [byFile, byName]) {
      expect(r.code).toBe(0)
      expect(r.stderr).toContain('no benches found matching')
      expect(r.stderr).toContain('benchmarks/one.bench.ts > t')
    }
  })

  it('config passWithNoTests: true does the same', async () => {
    const dir = makeProject({ 'package.json': PKG, 'llem.config.json': '{ "passWithNoTests": true }\n' })
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('no bench files were found at all')
  })

  it('does not hide bad input: a bench file that does not import is still exit 2', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/broken.bench.ts': "import { bench } from 'llem'\nbench('x', {\n" })
    const r = await runCli(dir, ['bench', '--passWithNoTests'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('benchmarks/broken.bench.ts')
  })
})
