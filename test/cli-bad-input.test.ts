/**
 * Bad input, through the real CLI: one clear message naming the file and the place, exit code 2,
 * no stack trace without --verbose, and nothing run.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const OK_BENCH = `import { bench } from 'llem'\nbench('b', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['hi'] } })\n`

async function expectBadInput(files: Record<string, string>, args: string[], ...fragments: (string | RegExp)[]) {
  const dir = makeProject(files)
  const r = await runCli(dir, args)
  expect(r.code, r.stderr + r.stdout).toBe(2)
  for (const f of fragments) expect(r.stderr).toMatch(f)
  expect(r.stderr).toMatch(/^llem: /)
  expect(r.stderr).not.toMatch(/\n\s+at /) // no stack trace
  expect(existsSync(path.join(dir, 'llem-results'))).toBe(false)
  return r
}

describe('bad input exits 2 with one clear message', () => {
  it('a --config path that does not exist', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': OK_BENCH }, ['bench', '--config', 'nope.config.ts'], 'config file not found: nope.config.ts'))

  it('a syntax error in llem.config.ts, with line and column', () =>
    expectBadInput({ 'llem.config.ts': 'export default {\n  load: { concurrency: 2 \n  repeat: 2,\n}\n', 'benchmarks/a.bench.ts': OK_BENCH }, ['bench'], /llem\.config\.ts:3:\d+: syntax error/))

  it('an unknown key, with the closest valid one', () =>
    expectBadInput({ 'llem.config.ts': 'export default { measurment: { baseline: { seconds: 1 } } }\n', 'benchmarks/a.bench.ts': OK_BENCH }, ['bench'], 'llem.config.ts: unknown key "measurment" (did you mean "measurement"?)'))

  it('a wrong type, with the dotted path, expected and got', () =>
    expectBadInput({ 'llem.config.ts': "export default { load: { concurrency: '4' } }\n", 'benchmarks/a.bench.ts': OK_BENCH }, ['bench'], 'llem.config.ts: load.concurrency: expected number, got string ("4")'))

  it('a wrong type in a dotted CLI flag', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': OK_BENCH }, ['bench', '--load.concurrency', 'many'], 'command line: --load.concurrency: load.concurrency: expected number, got string ("many")'))

  it('an unknown CLI option, with a suggestion', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': OK_BENCH }, ['bench', '--measurement.warmup.maxRequets', '3'], 'unknown option --measurement.warmup.maxRequets (did you mean --measurement.warmup.maxRequests?)'))

  it('a bench file that throws on import, with file and line', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\n\nthrow new Error('boom in bench')\n" }, ['bench'], /benchmarks\/a\.bench\.ts:3:\d+: error while loading bench file: boom in bench/))

  it('an unknown option in a bench, with the bench named', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('b', { backend: 'llama-cpp', genration: {} })\n" }, ['bench'], /benchmarks\/a\.bench\.ts:2: bench\("b"\): unknown key "genration" \(did you mean "generation"\?\)/))

  it('a bench without a backend', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('no backend', { dataset: { prompts: ['x'] } })\n" }, ['bench'], /a\.bench\.ts:2: bench\("no backend"\) has no backend/))

  it('an unknown backend, with a suggestion', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('b', { backend: 'llama-ccp', dataset: { prompts: ['x'] } })\n" }, ['bench'], 'unknown backend "llama-ccp" (did you mean "llama-cpp"?)'))

  it('an unknown backend option', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('b', { backend: { name: 'llama-cpp', thread: 2 }, model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n" }, ['bench'], 'unknown key "backend.thread" (did you mean "threads"?)'))

  it('a GGUF path that does not exist', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('b', { backend: 'llama-cpp', model: './models/missing.gguf', dataset: { prompts: ['x'] } })\n" }, ['bench'], /a\.bench\.ts:2: model file not found: .*models\/missing\.gguf/))

  it('a model file that is not GGUF', () =>
    expectBadInput(
      { 'model.gguf': 'this is not a gguf file at all, just text\n', 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('b', { backend: 'llama-cpp', model: 'model.gguf', dataset: { prompts: ['x'] } })\n" },
      ['bench'],
      /model\.gguf is not a GGUF file/,
    ))

  it('a dataset file that is missing', () =>
    expectBadInput({ 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('b', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { file: 'data/prompts.txt' } })\n" }, ['bench'], /dataset file not found: .*data\/prompts\.txt/))

  it('a JSONL line that is not JSON, with its line number', () =>
    expectBadInput(
      { 'data/p.jsonl': '{"prompt": "a"}\n{"prompt": "b"}\n{"prompt": oops}\n', 'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('b', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { file: 'data/p.jsonl' } })\n" },
      ['bench'],
      /data\/p\.jsonl:3: not valid JSON/,
    ))

  it('an unknown carbon country code', () =>
    expectBadInput({ 'llem.config.ts': QUICK_CONFIG.replace('generation:', 'measurement2: 0, generation:').replace('measurement2: 0, ', '').replace('sampleIntervalMs: 20 }', "sampleIntervalMs: 20, carbon: { country: 'XYZ' } }"), 'benchmarks/a.bench.ts': OK_BENCH }, ['bench'], 'measurement.carbon.country: unknown ISO 3166 alpha-3 code "XYZ"'))

  it('--verbose adds the stack trace', async () => {
    const dir = makeProject({ 'llem.config.ts': "export default { load: { concurrency: '4' } }\n", 'benchmarks/a.bench.ts': OK_BENCH })
    const r = await runCli(dir, ['bench', '--verbose'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/\n\s+at /)
  })
})

describe('probe configuration is checked before anything runs', () => {
  it('an unknown probe, with a suggestion', () =>
    expectBadInput({ 'llem.config.json': JSON.stringify({ probes: ['rapll'] }), 'benchmarks/a.bench.ts': OK_BENCH }, ['bench'], 'unknown probe "rapll" (did you mean "rapl"?)'))

  it("a wrong type in a probe's options", () =>
    expectBadInput({ 'llem.config.json': JSON.stringify({ probes: { rapl: { root: 42 } } }), 'benchmarks/a.bench.ts': OK_BENCH }, ['bench'], 'probes.rapl.root: expected string, got number (42)'))
})
