/**
 * A whole value and dotted flags under it, given together, mean the same in either order: `--probes
 * rapl --probes.rapl.root /x` is the probe set {rapl} with its root (not every default probe back on,
 * nor the root dropped), `--backend openai --backend.baseURL <url>` the openai backend at that URL. A
 * dataset source named by a deeper flag (`--dataset.synthetic.inputTokens 5`) replaces a prompts dataset
 * (it was refused as two sources) and refines a synthetic one. A backend's or probe's option set through LLEM_BACKEND__* / LLEM_PROBES__* (which no option reads) is
 * refused, not ignored while the run measures the server the bench names.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const BENCH = "import { bench } from 'llem'\nbench('one', { backend: { name: 'llama-cpp' }, model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n"

async function effective(dir: string, args: string[]): Promise<{ probes: unknown; backend: unknown }> {
  const r = await runCli(dir, ['list', '--json', ...args])
  expect(r.code, r.stderr).toBe(0)
  const x = JSON.parse(r.stdout).experiments[0].effective_config
  return { probes: x.probes, backend: x.backend }
}

describe('whole values and dotted flags together', () => {
  it('the same in either order, the whole value still the whole set or backend', async () => {
    const dir = makeProject({ 'llem.config.ts': "export default { probes: ['rapl', 'cpu-estimate'] }\n", 'benchmarks/a.bench.ts': BENCH })
    for (const args of [['--probes', 'rapl', '--probes.rapl.root', '/x'], ['--probes.rapl.root', '/x', '--probes', 'rapl']])
      expect((await effective(dir, args)).probes, args.join(' ')).toEqual({ rapl: { root: '/x' } })
    for (const args of [['--backend', 'openai', '--backend.baseURL', 'http://h:1/v1'], ['--backend.baseURL', 'http://h:1/v1', '--backend', 'openai']])
      expect((await effective(dir, args)).backend, args.join(' ')).toEqual({ name: 'openai', baseURL: 'http://h:1/v1' })
    // a dotted probe flag alone still refines the configured set, and so does a probes object
    expect((await effective(dir, ['--probes.rapl.root', '/x'])).probes).toEqual({ rapl: { root: '/x' }, 'cpu-estimate': {} })
    expect((await effective(dir, ['--probes', '{"rapl":false}'])).probes).toEqual({ rapl: false, 'cpu-estimate': {} })
    const fromEnv = await runCli(dir, ['list', '--json'], { LLEM_PROBES: '{"rapl":{"root":"/y"}}' })
    expect(JSON.parse(fromEnv.stdout).experiments[0].effective_config.probes).toEqual({ rapl: { root: '/y' }, 'cpu-estimate': {} })
  }, 60_000)

  it('a dotted path under a dataset source replaces a dataset of another source, and refines one of its own', async () => {
    const prompts = makeProject({ 'llem.config.ts': 'export default {}\n', 'benchmarks/a.bench.ts': BENCH })
    const dataset = async (dir: string, args: string[], env: Record<string, string> = {}) => {
      const r = await runCli(dir, ['list', '--json', ...args], env)
      expect(r.code, r.stderr).toBe(0)
      return JSON.parse(r.stdout).experiments[0].effective_config.dataset
    }
    expect(await dataset(prompts, ['--dataset.synthetic.inputTokens', '5'])).toMatchObject({ synthetic: { inputTokens: 5 } })
    expect(await dataset(prompts, ['--dataset.synthetic.inputTokens', '5'])).not.toHaveProperty('prompts')
    expect(await dataset(prompts, [], { LLEM_DATASET__SYNTHETIC__INPUT_TOKENS: '5' })).not.toHaveProperty('prompts')
    const synthetic = makeProject({ 'llem.config.ts': 'export default {}\n', 'benchmarks/a.bench.ts': BENCH.replace("dataset: { prompts: ['x'] }", 'dataset: { synthetic: { inputTokens: 100, n: 3 } }') })
    expect((await dataset(synthetic, ['--dataset.synthetic.inputTokens', '5'])).synthetic).toEqual({ inputTokens: 5, n: 3 })
  }, 60_000)

  it('a plugin option from the environment is refused, naming the variable and the flag to use', async () => {
    const dir = makeProject({ 'llem.config.ts': 'export default {}\n', 'benchmarks/a.bench.ts': BENCH })
    for (const [name, section] of [['LLEM_BACKEND__BASE_URL', 'backend'], ['LLEM_PROBES__RAPL__ROOT', 'probes']]) {
      const r = await runCli(dir, ['list'], { [name]: 'http://h:9/v1' })
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toContain(`llem: environment ${name}: ${section} options have no environment variables`)
      expect(r.stderr).toContain(`--${section}.<key>`)
    }
  }, 60_000)
})
