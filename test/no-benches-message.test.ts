/**
 * When nothing runs, the message says which case it is: bench files were found but declare no bench
 * (naming them), or no bench file matched the include patterns at all.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const EMPTY = "import { bench } from 'llem'\n// nothing declared yet\nvoid bench\n"
const ONE = "import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n"

describe('nothing to run', () => {
  it('a bench file with no benches is named as such, not "no bench files"', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/empty.bench.ts': EMPTY })
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain('no bench files')
    expect(r.stderr).toMatch(/benchmarks\/empty\.bench\.ts.*declares no bench/)
  })

  it('a filter that matches only the empty file says so, and lists the benches there are', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/empty.bench.ts': EMPTY, 'benchmarks/one.bench.ts': ONE })
    const r = await runCli(dir, ['bench', 'empty'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/benchmarks\/empty\.bench\.ts.*declares no bench/)
    expect(r.stderr).toContain('benchmarks/one.bench.ts > t')
  })

  it('no file matching the include patterns: "no bench files"', async () => {
    const dir = makeProject({ 'package.json': PKG, 'src/x.ts': 'export {}\n' })
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no bench files')
    expect(r.stderr).toContain('benchmarks/**/*.bench.ts')
  })
})
