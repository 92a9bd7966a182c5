/**
 * What docs/plugins.md promises a plugin author, through the built CLI: progress hooks awaited, in
 * order, each before the experiment's end and none lost; an async factory awaited; one package listed
 * twice with different options is two reporters with their own contexts; a backend's sync close()
 * keeps its result; validate() gets its options parsed (defaults filled in); a GPU probe that throws
 * while listing GPUs is a probe's failure, not the run's; a progress hook that rejects is named and
 * fails the run; a reporter's own unwritable outputFile is bad input before anything runs; an inline
 * class instance keeps its hooks, and reporter options reach the reporter untouched.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const METER = readFileSync(path.join(import.meta.dirname, 'fixtures', 'plugin-pack', 'plugins', 'scripted-meter.ts'), 'utf8')
/** the plugin pack's scripted backend, with a sync close() and a validate() that writes what it got */
const BACKEND = `import { performance } from 'node:perf_hooks'
import { writeFileSync } from 'node:fs'
import { defineBackend, z } from 'llem/plugin'
const options = z.strictObject({ tokens: z.int().positive().default(3), gapMs: z.number().positive().default(5) })
export default defineBackend<z.infer<typeof options>>({
  name: 'scripted',
  options,
  async validate(ctx) { writeFileSync('validate.json', JSON.stringify(ctx.options)) },
  async start(ctx) {
    const { tokens, gapMs } = ctx.options
    return {
      backendVersion: '1.0.0',
      model: { name: 'scripted-source', path: null, file_size_mb: null, parameters: null, architecture: null, shape: null, precision: null },
      latencyMode: 'TRUE_STREAMING',
      software: {},
      settings: { tokens, gapMs },
      tokenizer: { tokenize: (t: string) => t.split(/\\s+/).filter(Boolean).map((_, i) => i), detokenize: (t: number[]) => t.map(() => 'w').join(' ') },
      async generate(request, sink) {
        for (let i = 0; i < tokens; i++) {
          await new Promise((r) => setTimeout(r, gapMs))
          sink.onTokens(1, performance.now())
        }
        return { inputTokens: 2, outputTokens: tokens, finishReason: 'length' as const }
      },
      close() {},
    }
  },
})
`
// every hook call, in the order it arrived; the slow reporter takes 150 ms per progress event and
// notes how many of its calls ran at once
const LOGGER = `import { appendFileSync } from 'node:fs'
export default (ctx) => ({
  onExperimentProgress(_x, p) { appendFileSync('events.log', \`\${ctx.options.tag} progress \${p.phase} \${p.done}\\n\`) },
  onExperimentEnd(x) { appendFileSync('events.log', \`\${ctx.options.tag} end \${x.name}\\n\`) },
})
`
const SLOW = `import { appendFileSync } from 'node:fs'
let inFlight = 0
export default {
  async onExperimentProgress(_x, p) {
    inFlight++
    appendFileSync('slow.log', \`in flight \${inFlight}\\n\`)
    await new Promise((r) => setTimeout(r, 150))
    inFlight--
    appendFileSync('events.log', \`slow progress \${p.phase} \${p.done}\\n\`)
  },
}
`
const ASYNC_FACTORY = `import { writeFileSync } from 'node:fs'
export default async (ctx) => {
  await new Promise((r) => setTimeout(r, 10))
  return { onRunEnd() { writeFileSync('async-factory.txt', \`\${ctx.options.word} \${typeof ctx.options.max} \${ctx.options.max}\`) } }
}
`
const PKG = `import { appendFileSync } from 'node:fs'
export default { onInit(ctx) { appendFileSync('pkg.log', ctx.options.label + '\\n') } }
`
// a GPU probe whose library will not load: it throws while llem lists GPUs
const GPU_PROBE = `export default {
  name: 'mygpu',
  async available() { throw new Error('libmygpu.so: cannot open shared object file') },
  async accelerators() { return [] },
  async open() { throw new Error('not reached') },
}
`
const BENCH = `import { bench } from 'llem'
bench('scripted', { backend: { name: './plugins/scripted-backend.ts' }, dataset: { prompts: ['one two'], repeat: 4 }, generation: { maxTokens: 3 }, probes: { './plugins/scripted-meter.ts': { watts: 10 } } })
`
const config = (reporters: string, probes = "['./plugins/scripted-meter.ts']") => `import { writeFileSync } from 'node:fs'
class Gate {
  constructor(limit) { this.limit = limit }
  onRunEnd() { writeFileSync('gate.txt', String(this.limit)) }
}
export default {
  probes: ${probes},
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 } },
  reporters: ${reporters},
}
`
function project(reporters: string, probes?: string): string {
  return makeProject({
    'llem.config.ts': config(reporters, probes),
    'benchmarks/s.bench.ts': BENCH,
    'plugins/scripted-backend.ts': BACKEND,
    'plugins/scripted-meter.ts': METER,
    'plugins/gpu-probe.ts': GPU_PROBE,
    'reporters/logger.js': LOGGER,
    'reporters/slow.js': SLOW,
    'reporters/async-factory.js': ASYNC_FACTORY,
    'reporters/bad-progress.js': 'export default { async onExperimentProgress() { throw new Error("progress broke") } }\n',
    'node_modules/obj-pkg/package.json': JSON.stringify({ name: 'obj-pkg', type: 'module', exports: './index.js' }),
    'node_modules/obj-pkg/index.js': PKG,
  })
}

describe('the plugin contract, through the CLI', () => {
  it('hooks awaited in order, contexts per entry, a sync close, parsed options, a throwing GPU probe', async () => {
    const dir = project(
      "['./reporters/slow.js', ['./reporters/logger.js', { tag: 'log' }], ['./reporters/async-factory.js', { word: 'awaited', max: Infinity }], ['obj-pkg', { label: 'a' }], ['obj-pkg', { label: 'b' }], new Gate(Infinity)]",
      "['./plugins/scripted-meter.ts', './plugins/gpu-probe.ts']",
    )
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stderr).not.toContain('internal error')
    const events = readFileSync(path.join(dir, 'events.log'), 'utf8').trim().split('\n')
    // every progress event reached both reporters, in the same order, before the experiment's end
    const slow = events.filter((e) => e.startsWith('slow progress')).map((e) => e.slice('slow '.length))
    const log = events.filter((e) => e.startsWith('log progress')).map((e) => e.slice('log '.length))
    expect(slow.length).toBeGreaterThan(2)
    expect(log).toEqual(slow)
    // the config disables the idle baseline: no baseline phase is announced, the model's load is
    expect(log.filter((e) => e.startsWith('progress baseline'))).toEqual([])
    expect(log).toContain('progress model_load 0')
    expect(events.at(-1)).toBe('log end scripted')
    // the slow hook never ran beside itself
    expect(new Set(readFileSync(path.join(dir, 'slow.log'), 'utf8').trim().split('\n'))).toEqual(new Set(['in flight 1']))
    // options passed through untouched: Infinity stays a number
    expect(readFileSync(path.join(dir, 'async-factory.txt'), 'utf8')).toBe('awaited number Infinity')
    // an inline class instance keeps its prototype's hooks
    expect(readFileSync(path.join(dir, 'gate.txt'), 'utf8')).toBe('Infinity')
    // each entry of the package its own options (the factory runs when the run is checked, then again)
    expect(new Set(readFileSync(path.join(dir, 'pkg.log'), 'utf8').trim().split('\n'))).toEqual(new Set(['a', 'b']))
    // validate() saw the defaults the schema fills in
    expect(JSON.parse(readFileSync(path.join(dir, 'validate.json'), 'utf8'))).toEqual({ tokens: 3, gapMs: 5 })
    // close() {} (sync) kept the measured result
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
    const [agg] = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
    expect(agg.status, JSON.stringify(agg.error)).toBe('completed')
    expect(agg.total_output_tokens).toBe(12)
  })

  it('a progress hook that rejects is named and fails the run', async () => {
    const dir = project("['./reporters/bad-progress.js']")
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('reporter "./reporters/bad-progress.js" failed in onExperimentProgress')
    expect(r.stderr).toContain('progress broke')
  })

  it("a reporter's own unwritable outputFile is bad input before anything runs", async () => {
    const dir = project("[['json', { outputFile: 'notes.txt/results.json' }]]")
    writeFileSync(path.join(dir, 'notes.txt'), 'a file, not a directory')
    const r = await runCli(dir, ['bench'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('reporters[0] (json) outputFile')
    expect(r.stderr).toContain('is not a directory')
    expect(existsSync(path.join(dir, 'llem-results'))).toBe(false)
  })
})
