/**
 * The other commands and the user-facing seams: env (--json), schema, --version/--help, a custom
 * reporter loaded by path with options, and a user project that installed llem into node_modules.
 */
import { execFileSync } from 'node:child_process'
import { symlinkSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, REPO, runCli } from './fixtures/project.js'

describe('llem commands', () => {
  it('env --json lists machine, software and why each probe is or is not available', async () => {
    const r = await runCli(makeProject({}), ['env', '--json'])
    expect(r.code).toBe(0)
    const env = JSON.parse(r.stdout)
    expect(env.machine.cpu.cores).toBeGreaterThan(0)
    expect(env.software['node-llama-cpp']).toBe('3.21.1')
    expect(env.software.node).toBe(process.version)
    for (const name of ['rapl', 'cpu-estimate']) {
      expect(typeof env.probes[name].available).toBe('boolean')
      expect(env.probes[name].reason.length).toBeGreaterThan(5)
    }
    const text = await runCli(makeProject({}), ['env'])
    // every built-in probe has its line, available or with the reason it is not
    const listed = [...text.stdout.slice(text.stdout.indexOf('\nprobes\n')).matchAll(/^\s+[✓✗] ([a-z-]+): \S/gm)].map((m) => m[1])
    expect(listed.sort()).toEqual(['amdsmi', 'cpu-estimate', 'ipmi', 'jetson', 'nvml', 'rapl', 'redfish'])
  })

  it('env honours a probe root from the config (a fake powercap tree)', async () => {
    const dir = makeProject({ 'llem.config.json': JSON.stringify({ probes: { rapl: { root: '/nonexistent/powercap' } } }) })
    const env = JSON.parse((await runCli(dir, ['env', '--json'])).stdout)
    expect(env.probes.rapl).toEqual({ available: false, reason: 'no powercap tree at /nonexistent/powercap' })
  })

  it('schema prints the JSON Schema generated from the zod result schemas', async () => {
    const r = await runCli(makeProject({}), ['schema'])
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.schema_version).toBe('1.0')
    expect(s.AggregatedResult.type).toBe('object')
    expect(s.AggregatedResult.required).toEqual(expect.arrayContaining(['task_hash', 'parameter_provenance', 'latency_stats', 'status']))
    expect(s.RawProcessResult.properties.energy_metrics).toBeDefined()
    const raw = JSON.parse((await runCli(makeProject({}), ['schema', 'raw'])).stdout)
    expect(raw.properties.inference_metrics).toBeDefined()
    expect((await runCli(makeProject({}), ['schema', 'nope'])).code).toBe(2)
  })

  it('--version and --help', async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'))
    expect((await runCli(makeProject({}), ['--version'])).stdout).toContain(pkg.version)
    const help = await runCli(makeProject({}), ['--help'])
    expect(help.code).toBe(0)
    for (const word of ['list', 'env', 'schema', '--reporter', '--dry-run', '--bail']) expect(help.stdout).toContain(word)
    // bin/llem.js prints the text the build took from the CLI (dist/help.txt) without loading the CLI:
    // it must be what the CLI itself prints now, and `-h` the same
    const main = pathToFileURL(path.join(REPO, 'dist', 'core', 'cli', 'main.js')).href
    const fromCli = execFileSync(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(['--help'])`], { encoding: 'utf8' })
    expect(fromCli).toContain('--dry-run')
    expect(help.stdout).toBe(fromCli)
    expect((await runCli(makeProject({}), ['-h'])).stdout).toBe(help.stdout)
  })

  it('a custom .ts reporter by path gets its options and every hook in order', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG.replace('export default {', "export default {\n  reporters: [['./my-reporter.ts', { label: 'mine' }]],"),
      'my-reporter.ts': `import type { Reporter, ReporterContext } from 'llem'
import { writeFileSync } from 'node:fs'
export default (ctx: ReporterContext): Reporter => {
  const seen: string[] = []
  return {
    onInit: () => { seen.push('init:' + String(ctx.options.label)) },
    onPlan: (xs) => { seen.push('plan:' + xs.length) },
    onExperimentStart: (x) => { seen.push('start:' + x.bench.name) },
    onExperimentEnd: (x, r) => { seen.push('end:' + r.status + ':' + (r.total_output_tokens > 0)) },
    onRunEnd: (s) => { seen.push('run:' + s.status); writeFileSync('seen.json', JSON.stringify(seen)) },
  }
}
`,
      'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n",
    })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(readFileSync(path.join(dir, 'seen.json'), 'utf8'))).toEqual(['init:mine', 'plan:1', 'start:one', 'end:completed:true', 'run:passed'])
  })

  it('works in a user project that installed llem (node_modules/llem), with defineBench and .llemrc.json', async () => {
    const dir = makeProject({
      '.llemrc.json': JSON.stringify({ measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 } }, generation: { maxTokens: 8 }, reporters: ['json'], outputFile: 'out/report.json' }),
      'perf/model.bench.ts': "import { defineBench } from 'llem'\nexport default defineBench({ backend: 'llama-cpp', model: { random: { layers: 1, hidden: 32, heads: 2, ff: 64 } }, dataset: { prompts: ['a', 'b'] } })\n",
      'package.json': JSON.stringify({ name: 'user-project', type: 'module', llem: undefined }),
    })
    mkdirSync(path.join(dir, 'node_modules'))
    symlinkSync(REPO, path.join(dir, 'node_modules', 'llem'))
    const bin = path.join(dir, 'node_modules', 'llem', 'bin', 'llem.js')
    expect(readdirSync(path.dirname(bin))).toContain('llem.js')
    const r = await runCli(dir, ['bench', '--config', '.llemrc.json', '--include', 'perf/*.bench.ts'])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(readFileSync(path.join(dir, 'out', 'report.json'), 'utf8'))
    expect(report.results[0].experiment_name).toBe('model')
    expect(report.results[0].total_output_tokens).toBe(16)
  })
})
