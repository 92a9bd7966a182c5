/**
 * Bad input is blamed where it was written: a value from a flag, an LLEM_ variable or the config file
 * is named as such (the experiment it reached follows in brackets), so the user fixes the flag and not
 * a bench that never set it; a value the bench set is blamed on the bench's file:line. Also: a missing
 * dataset file says who named it, a sweep value that is not a list says what it is, and a flag value
 * that parses but is out of range gets the schema's reason, not "expected number, got string"; a
 * negative number after a flag is its value, and a flag of another command is named as typed; a
 * value a sweep point gave is blamed where the sweep was written (a flag, a variable, the config file). Exit 2.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const BENCH = "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n"
const project = (config = 'export default {}\n', bench = BENCH) => makeProject({ 'llem.config.ts': config, 'benchmarks/a.bench.ts': bench })

async function refused(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCli(dir, args, env)
  expect(r.code, r.stderr + r.stdout).toBe(2)
  const lines = r.stderr.trim().split('\n')
  // one message, no stack
  expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([])
  return lines[0]
}

describe('bad input, blamed where it was written', () => {
  it('a probe from a flag, a variable or the config file', async () => {
    const dir = project()
    expect(await refused(dir, ['list', '--probes', 'nvmll'])).toMatch(/^llem: command line --probes \(for benchmarks\/a\.bench\.ts:2: "one"\): unknown probe "nvmll" \(did you mean "nvml"\?\)/)
    expect(await refused(dir, ['list'], { LLEM_PROBES: 'nvmll' })).toMatch(/^llem: environment LLEM_PROBES \(for benchmarks\/a\.bench\.ts:2: "one"\): unknown probe "nvmll"/)
    const configured = project("export default { probes: ['rapll'] }\n")
    expect(await refused(configured, ['list'])).toMatch(/^llem: llem\.config\.ts: probes \(for benchmarks\/a\.bench\.ts:2: "one"\): unknown probe "rapll" \(did you mean "rapl"\?\)/)
    // the config lists a probe module that is not there; the bench adds a probe of its own (a record
    // over the config's list): the missing one is still the config's
    const listed = project(
      "export default { probes: ['./meters/missing.ts'] }\n",
      "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] }, probes: { 'cpu-estimate': {} } })\n",
    )
    expect(await refused(listed, ['bench', '--dry-run'])).toMatch(/^llem: llem\.config\.ts: probes\["\.\/meters\/missing\.ts"\] \(for benchmarks\/a\.bench\.ts:2: "one"\): probe "\.\/meters\/missing\.ts": no such file /)
  })

  it("a backend's name or option from a flag; a backend option the bench set stays the bench's", async () => {
    const dir = project()
    expect(await refused(dir, ['list', '--backend.name', 'llama-cp'])).toMatch(/^llem: command line --backend\.name \(for benchmarks\/a\.bench\.ts:2: bench\("one"\)\): unknown backend "llama-cp"/)
    expect(await refused(dir, ['list', '--backend.threads', 'abc'])).toBe('llem: command line --backend.threads (for benchmarks/a.bench.ts:2: bench("one")): backend.threads: expected number, got string ("abc")')
    expect(await refused(dir, ['list', '--load.clientThreads', '2'])).toMatch(/^llem: command line --load\.clientThreads \(for benchmarks\/a\.bench\.ts:2: "one"\): load\.clientThreads = 2 needs a backend/)
    const own = project(undefined, "import { bench } from 'llem'\nbench('one', { backend: { name: 'llama-cpp', threads: 'abc' }, model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n")
    expect(await refused(own, ['list'])).toBe('llem: benchmarks/a.bench.ts:2: bench("one"): backend.threads: expected number, got string ("abc")')
  })

  it('a carbon country from the config file; a missing dataset file from the bench or a flag', async () => {
    expect(await refused(project("export default { measurement: { carbon: { country: 'XXX' } } }\n"), ['bench', '--dry-run'])).toMatch(
      /^llem: llem\.config\.ts: measurement\.carbon\.country \(for benchmarks\/a\.bench\.ts:2\): .*unknown ISO 3166 alpha-3 code "XXX"/,
    )
    const dir = project(undefined, "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { file: 'data/q.jsonl' } })\n")
    expect(await refused(dir, ['bench', '--dry-run'])).toBe(`llem: benchmarks/a.bench.ts:2: bench("one"): dataset file not found: ${dir}/data/q.jsonl`)
    expect(await refused(dir, ['bench', '--dry-run', '--dataset.file', 'other.jsonl'])).toBe(`llem: command line --dataset.file (for benchmarks/a.bench.ts:2: bench("one")): dataset file not found: ${dir}/other.jsonl`)
  })

  it('a sweep value that is not a list says what it is; an out-of-range flag gets the reason', async () => {
    const sweep = project(undefined, "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] }, sweep: { 'load.concurrency': 3 } })\n")
    expect(await refused(sweep, ['list'])).toBe('llem: benchmarks/a.bench.ts:2: bench("one"): sweep.load.concurrency: expected array, got number (3)')
    const dir = project()
    expect(await refused(dir, ['list', '--load.concurrency', '0'])).toBe('llem: command line: --load.concurrency: load.concurrency: Too small: expected number to be >0')
    expect(await refused(dir, ['list'], { LLEM_MAX_PARALLEL: '-2' })).toBe('llem: environment: LLEM_MAX_PARALLEL: maxParallel: Too small: expected number to be >0')
  })

  it("a swept value is blamed where the sweep was written: --sweep, LLEM_SWEEP, the config's sweep; a bench's own sweep stays the bench's; a sweep is given whole", async () => {
    const dir = project()
    const point = '(for benchmarks/a.bench.ts:2: bench("one") sweep point [load.concurrency=0]): load.concurrency: Too small: expected number to be >0'
    expect(await refused(dir, ['bench', '--dry-run', '--sweep', '{"load.concurrency":[1,0]}'])).toBe(`llem: command line --sweep ${point}`)
    expect(await refused(dir, ['bench', '--dry-run'], { LLEM_SWEEP: '{"load.concurrency":[1,0]}' })).toBe(`llem: environment LLEM_SWEEP ${point}`)
    const configured = project("export default { sweep: { 'load.concurrency': [1, 0] } }\n")
    expect(await refused(configured, ['list'])).toBe(`llem: llem.config.ts: sweep["load.concurrency"] ${point}`)
    const own = project(undefined, "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] }, sweep: { 'load.concurrency': [1, 0] } })\n")
    expect(await refused(own, ['list'])).toBe('llem: benchmarks/a.bench.ts:2: bench("one") sweep point [load.concurrency=0]: load.concurrency: Too small: expected number to be >0')
    // checked once the plan is made: a probe, a dataset file, a model
    expect(await refused(dir, ['bench', '--dry-run', '--sweep', '{"probes":[["nvmll"]]}'])).toMatch(/^llem: command line --sweep \(for benchmarks\/a\.bench\.ts:2: "one"\): unknown probe "nvmll"/)
    expect(await refused(project("export default { sweep: { 'dataset.file': ['nope.jsonl'] } }\n"), ['bench', '--dry-run'])).toMatch(/^llem: llem\.config\.ts: sweep\["dataset\.file"\] \(for benchmarks\/a\.bench\.ts:2: bench\("one"\)\): dataset file not found: /)
    expect(await refused(dir, ['bench', '--dry-run'], { LLEM_SWEEP: '{"model":["missing.gguf"]}' })).toMatch(/^llem: environment LLEM_SWEEP: model file not found: /)
    // a sweep's keys are dotted paths: it is given whole
    expect(await refused(dir, ['list', '--sweep.load.concurrency', '[1,0]'])).toBe(`llem: command line: --sweep.load.concurrency: a sweep is given whole, as JSON: --sweep '{"load.concurrency":[...]}'`)
    expect(await refused(dir, ['list'], { LLEM_SWEEP__LOAD__CONCURRENCY: '[1,2]' })).toBe(`llem: environment LLEM_SWEEP__LOAD__CONCURRENCY: a sweep is given whole, as JSON: LLEM_SWEEP='{"<dotted.key>":[...]}'`)
  })

  it('a flag given a negative number, a flag of another command, two compare formats at once', async () => {
    const dir = project()
    expect(await refused(dir, ['bench', '--dry-run', '--max-parallel', '-1'])).toBe('llem: command line: --max-parallel: expected a positive integer, got -1')
    expect(await refused(dir, ['bench', '--dry-run', '--bail', '-3'])).toBe('llem: command line: --bail: expected a non-negative integer, got -3')
    expect(await refused(dir, ['list', '--max-parallel=2'])).toBe('llem: unknown option --max-parallel for llem list (llem list --help lists the options)')
    expect(await refused(dir, ['compare', 'a', 'b', '--json', '--markdown'])).toBe('llem: command line: --json and --markdown are two output formats: give one')
  })
})
