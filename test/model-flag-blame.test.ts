/**
 * A bad model given on the command line or in the environment is the flag's fault, not the bench
 * file's: the message names --model... / LLEM_MODEL..., where the bench file's own model is blamed on
 * the bench file's line.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const BENCH = "import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n"
const BAD_IN_FILE = "import { bench } from 'llem'\nbench('bad', { backend: 'llama-cpp', model: './missing.gguf', dataset: { prompts: ['Hi'] } })\n"

describe('a bad model', () => {
  const dir = makeProject({ 'package.json': PKG, 'benchmarks/t.bench.ts': BENCH, 'other/bad.bench.ts': BAD_IN_FILE })

  it('from --model.random: the flag is named first', async () => {
    const r = await runCli(dir, ['bench', '--dry-run', '--model.random', 'no-such-preset'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^llem: command line --model\.random\b/)
  })

  it('from --model <path>: the flag and the missing file', async () => {
    const r = await runCli(dir, ['bench', '--dry-run', '--model', './nowhere.gguf'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^llem: command line --model\b/)
    expect(r.stderr).toContain('nowhere.gguf')
  })

  it('from LLEM_MODEL: the variable is named', async () => {
    const r = await runCli(dir, ['bench', '--dry-run'], { LLEM_MODEL: './nowhere.gguf' })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^llem: environment LLEM_MODEL\b/)
  })

  it('written in the config file: the config file and its key are named, not the bench', async () => {
    const cfg = makeProject({ 'package.json': PKG, 'llem.config.ts': "export default {\n  model: './absent.gguf',\n}\n", 'benchmarks/t.bench.ts': "import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', dataset: { prompts: ['Hi'] } })\n" })
    const r = await runCli(cfg, ['bench', '--dry-run'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^llem: llem\.config\.ts: model: .*absent\.gguf/)
  })

  it('written in the bench file: the bench file and line are named', async () => {
    const r = await runCli(dir, ['bench', '--dry-run', '--include', 'other/*.bench.ts'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^llem: other\/bad\.bench\.ts:2: .*missing\.gguf/)
  })
})
