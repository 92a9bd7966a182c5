/**
 * Option layers through buildPlan: default < config < describe (outer, then inner) < bench < env < cli,
 * the provenance of each effective value, and the normal forms (backend, probes) and atomic keys (dataset).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { CollectedBench, SuiteFrame } from '../core/api/collector.js'
import { collectFile } from '../core/collect/collect-files.js'
import { buildOverrideLayers } from '../core/config/overrides.js'
import { buildPlan, type Experiment, type PlanInput } from '../core/plan/plan.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ROOT = '/proj'
const FILE = path.join(ROOT, 'benchmarks', 'p.bench.ts')

function suite(name: string, options: Record<string, unknown>, line: number): SuiteFrame {
  return { name, options, mode: 'run', location: `${FILE}:${line}` }
}

function collected(options: Record<string, unknown>, suites: SuiteFrame[] = []): CollectedBench {
  return { file: FILE, name: 'b', suites, options, mode: 'run', location: `${FILE}:9`, kind: 'bench' }
}

function plan(opts: { config?: Record<string, unknown>; suites?: SuiteFrame[]; bench?: Record<string, unknown>; env?: NodeJS.ProcessEnv; flags?: Record<string, string | boolean> }): Experiment {
  const o = buildOverrideLayers(opts.env ?? {}, opts.flags ?? {})
  const input: PlanInput = {
    benches: [collected(opts.bench ?? {}, opts.suites ?? [])],
    rootDir: ROOT,
    configFile: path.join(ROOT, 'llem.config.ts'),
    config: { backend: 'llama-cpp', ...opts.config },
    env: o.env,
    cli: o.cli,
    cliOverrides: o.cliOverrides,
  }
  const experiments = buildPlan(input)
  expect(experiments).toHaveLength(1)
  return experiments[0]
}

describe('each layer overrides the one below it, with provenance', () => {
  const outer = (c: number) => suite('outer', { load: { concurrency: c } }, 3)
  const inner = (c: number) => suite('inner', { load: { concurrency: c } }, 4)

  it('default', () => {
    const x = plan({})
    expect(x.config.load.concurrency).toBe(1)
    expect(x.provenance['load.concurrency']).toEqual({ value: 1, source: 'default', source_detail: 'llem default' })
  })

  it('config over default', () => {
    const x = plan({ config: { load: { concurrency: 2 } } })
    expect(x.config.load.concurrency).toBe(2)
    expect(x.provenance['load.concurrency']).toEqual({ value: 2, source: 'config', source_detail: 'llem.config.ts' })
  })

  it('outer describe over config', () => {
    const x = plan({ config: { load: { concurrency: 2 } }, suites: [outer(3)] })
    expect(x.config.load.concurrency).toBe(3)
    expect(x.provenance['load.concurrency']).toEqual({ value: 3, source: 'describe', source_detail: 'describe("outer") at benchmarks/p.bench.ts:3' })
  })

  it('inner describe over outer describe', () => {
    const x = plan({ config: { load: { concurrency: 2 } }, suites: [outer(3), inner(4)] })
    expect(x.config.load.concurrency).toBe(4)
    expect(x.provenance['load.concurrency']).toEqual({ value: 4, source: 'describe', source_detail: 'describe("inner") at benchmarks/p.bench.ts:4' })
  })

  it('bench over describe', () => {
    const x = plan({ config: { load: { concurrency: 2 } }, suites: [outer(3), inner(4)], bench: { load: { concurrency: 5 } } })
    expect(x.config.load.concurrency).toBe(5)
    expect(x.provenance['load.concurrency']).toEqual({ value: 5, source: 'bench', source_detail: 'bench("b") at benchmarks/p.bench.ts:9' })
  })

  it('env over bench', () => {
    const x = plan({ config: { load: { concurrency: 2 } }, suites: [outer(3), inner(4)], bench: { load: { concurrency: 5 } }, env: { LLEM_LOAD__CONCURRENCY: '6' } })
    expect(x.config.load.concurrency).toBe(6)
    expect(x.provenance['load.concurrency']).toEqual({ value: 6, source: 'env', source_detail: 'LLEM_LOAD__CONCURRENCY' })
  })

  it('cli over env', () => {
    const x = plan({
      config: { load: { concurrency: 2 } },
      suites: [outer(3), inner(4)],
      bench: { load: { concurrency: 5 } },
      env: { LLEM_LOAD__CONCURRENCY: '6' },
      flags: { 'load.concurrency': '7' },
    })
    expect(x.config.load.concurrency).toBe(7)
    expect(x.provenance['load.concurrency']).toEqual({ value: 7, source: 'cli', source_detail: '--load.concurrency' })
    expect(x.cli_overrides).toEqual({ 'load.concurrency': 7 })
  })

  it('a key set by a lower layer keeps its value and provenance when a higher layer sets a sibling', () => {
    const x = plan({
      config: { load: { concurrency: 2 }, generation: { maxTokens: 16 } },
      suites: [suite('outer', { generation: { temperature: 0.7 } }, 3)],
      bench: { load: { burstiness: 2 } },
      flags: { 'generation.topK': '40' },
    })
    expect(x.config.generation).toEqual({ maxTokens: 16, temperature: 0.7, topP: 1, topK: 40, seed: 0, ignoreEos: true })
    expect(x.config.load).toEqual({ concurrency: 2, rate: null, burstiness: 2, requests: null, duration: null, seed: 0, rampUp: 0 })
    expect(x.provenance['generation.maxTokens']).toEqual({ value: 16, source: 'config', source_detail: 'llem.config.ts' })
    expect(x.provenance['generation.temperature']).toEqual({ value: 0.7, source: 'describe', source_detail: 'describe("outer") at benchmarks/p.bench.ts:3' })
    expect(x.provenance['generation.topK']).toEqual({ value: 40, source: 'cli', source_detail: '--generation.topK' })
    expect(x.provenance['generation.topP']).toEqual({ value: 1, source: 'default', source_detail: 'llem default' })
    expect(x.provenance['load.burstiness']).toEqual({ value: 2, source: 'bench', source_detail: 'bench("b") at benchmarks/p.bench.ts:9' })
  })

  it('cli_overrides lists every CLI key with its coerced value, and only those', () => {
    const x = plan({ env: { LLEM_TIMEOUT: '5000' }, flags: { 'generation.maxTokens': '32', 'load.rate': 'inf', 'generation.ignoreEos': 'false' } })
    expect(x.cli_overrides).toEqual({ 'generation.maxTokens': 32, 'load.rate': 'inf', 'generation.ignoreEos': false })
    expect(x.provenance['timeout']).toEqual({ value: 5000, source: 'env', source_detail: 'LLEM_TIMEOUT' })
  })

  it('run-only keys of the config file are not part of the experiment', () => {
    const x = plan({ config: { resultsDir: 'out', reporters: ['json'], bail: 1, include: ['x/**'] } })
    expect(Object.keys(x.config).sort()).toEqual(['backend', 'dataset', 'generation', 'gpus', 'load', 'measurement', 'model', 'parallel', 'probes', 'repeat', 'slo', 'sweep', 'sweepMode', 'timeout'])
    expect(Object.keys(x.provenance).filter((k) => /^(resultsDir|reporters|bail|include)/.test(k))).toEqual([])
  })
})

describe('normal forms and atomic keys', () => {
  it('backend written as a string normalises to { name }', () => {
    const x = plan({})
    expect(x.config.backend).toEqual({ name: 'llama-cpp' })
    expect(x.provenance['backend.name']).toEqual({ value: 'llama-cpp', source: 'config', source_detail: 'llem.config.ts' })
  })

  it('a backend object naming the same backend refines it key by key', () => {
    const x = plan({ config: { backend: { name: 'llama-cpp', threads: 2, batchSize: 64 } }, bench: { backend: { name: 'llama-cpp', threads: 4 } } })
    expect(x.config.backend).toEqual({ name: 'llama-cpp', threads: 4, batchSize: 64 })
    expect(x.provenance['backend.threads'].source).toBe('bench')
    expect(x.provenance['backend.batchSize'].source).toBe('config')
  })

  it('a backend object naming another backend replaces it as a whole', () => {
    const x = plan({ config: { backend: { name: 'other', threads: 2, batchSize: 64 } }, bench: { backend: { name: 'llama-cpp', threads: 4 } } })
    expect(x.config.backend).toEqual({ name: 'llama-cpp', threads: 4 })
    expect(Object.keys(x.provenance).filter((k) => k.startsWith('backend.')).sort()).toEqual(['backend.name', 'backend.threads'])
  })

  it('--backend.threads refines the backend from the files', () => {
    const x = plan({ bench: { backend: { name: 'llama-cpp', batchSize: 64 } }, flags: { 'backend.threads': '2' } })
    expect(x.config.backend).toEqual({ name: 'llama-cpp', batchSize: 64, threads: 2 })
    expect(x.provenance['backend.threads']).toEqual({ value: 2, source: 'cli', source_detail: '--backend.threads' })
  })

  it("probes: ['rapl'] normalises to { rapl: {} } and replaces the default probe set", () => {
    const x = plan({ config: { probes: ['rapl'] } })
    expect(x.config.probes).toEqual({ rapl: {} })
    expect(x.provenance['probes']).toEqual({ value: ['rapl'], source: 'config', source_detail: 'llem.config.ts' })
  })

  it('probes as a record: true means default options, false stays off', () => {
    const x = plan({ bench: { probes: { rapl: true, 'cpu-estimate': false } } })
    // the default set (nvml, amdsmi, jetson, rapl, cpu-estimate), with rapl as given and cpu-estimate off
    expect(x.config.probes).toEqual({ nvml: {}, amdsmi: {}, jetson: {}, rapl: {}, 'cpu-estimate': false })
  })

  it('--probes rapl,cpu-estimate normalises the same way', () => {
    const x = plan({ config: { probes: ['rapl'] }, flags: { probes: 'rapl,cpu-estimate' } })
    expect(x.config.probes).toEqual({ rapl: {}, 'cpu-estimate': {} })
    expect(x.provenance['probes']).toEqual({ value: ['rapl', 'cpu-estimate'], source: 'cli', source_detail: '--probes' })
  })

  it("a dataset in the bench replaces the describe's dataset: no key of the describe's is merged in", () => {
    const x = plan({ suites: [suite('outer', { dataset: { prompts: ['from describe'], shuffle: true, seed: 3 } }, 3)], bench: { dataset: { file: 'prompts.txt' } } })
    expect(x.config.dataset).toEqual({ file: 'prompts.txt', repeat: 1, shuffle: false, seed: 0 })
    expect(x.provenance['dataset.file'].source).toBe('bench')
    expect(Object.keys(x.provenance).filter((k) => k.startsWith('dataset.'))).toEqual(['dataset.file'])
  })

  it('--dataset.n refines the dataset from the files', () => {
    const x = plan({ bench: { dataset: { prompts: ['a', 'b', 'c'] } }, flags: { 'dataset.n': '2' } })
    expect(x.config.dataset).toMatchObject({ prompts: ['a', 'b', 'c'], n: 2 })
  })
})

describe('options from a bench file (collectFile -> buildPlan)', () => {
  const file = path.join(REPO, 'test/fixtures/benches/precedence.bench.ts')

  async function planFixture(): Promise<Map<string, Experiment>> {
    const benches = await collectFile(file, REPO)
    const o = buildOverrideLayers({}, {})
    const experiments = buildPlan({ benches, rootDir: REPO, configFile: null, config: {}, env: o.env, cli: o.cli, cliOverrides: {} })
    return new Map(experiments.map((x) => [x.name, x]))
  }

  it('inner describe over outer describe, with locations in the file', async () => {
    const x = (await planFixture()).get('outer > inner > inherits')!
    expect(x.config.load.concurrency).toBe(4)
    expect(x.provenance['load.concurrency']).toEqual({ value: 4, source: 'describe', source_detail: 'describe("inner") at test/fixtures/benches/precedence.bench.ts:4' })
    expect(x.provenance['dataset.prompts'].source_detail).toBe('describe("outer") at test/fixtures/benches/precedence.bench.ts:3')
    expect(x.bench).toEqual({ file: 'test/fixtures/benches/precedence.bench.ts', name: 'inherits', full_name: 'outer > inner > inherits', location: 'test/fixtures/benches/precedence.bench.ts:5' })
  })

  it("a bench's own dataset replaces the inherited one", async () => {
    const x = (await planFixture()).get('outer > inner > own dataset')!
    expect(x.config.dataset).toEqual({ prompts: ['from bench'], repeat: 1, shuffle: false, seed: 0 })
  })

  it('the same options inherited from describe() or written in bench() give the same config and task_hash', async () => {
    const plans = await planFixture()
    const inherited = plans.get('outer > inner > inherits')!
    const written = plans.get('same options written in the bench')!
    expect(inherited.config.load.rate).toBe('inf')
    expect(inherited.config).toEqual(written.config)
    expect(inherited.task_hash).toBe(written.task_hash)
  })

  it('rate Infinity (open loop, all at once) does not hash like rate null (closed loop)', async () => {
    const plans = await planFixture()
    expect(plans.get('closed loop')!.config.load.rate).toBeNull()
    expect(plans.get('outer > inner > inherits')!.task_hash).not.toBe(plans.get('closed loop')!.task_hash)
    // the same with hand-made benches: Infinity is written 'inf' in the effective config (JSON has no Infinity)
    const infinite = plan({ bench: { load: { rate: Infinity } } })
    const closed = plan({ bench: { load: { rate: null } } })
    expect(infinite.config.load.rate).toBe('inf')
    expect(JSON.parse(JSON.stringify(infinite.config)).load.rate).toBe('inf')
    expect(infinite.task_hash).not.toBe(closed.task_hash)
    expect(infinite.task_hash).toBe(plan({ bench: { load: { rate: 'inf' } } }).task_hash)
  })
})
