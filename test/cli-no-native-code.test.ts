/**
 * `llem --help` and `llem list` load no native code: koffi (NVML, AMD SMI) and node-llama-cpp cost
 * tens of ms to load, and neither command opens a device. A probe the plan gives options to is still
 * imported to check them (nvml here), so this holds only while the bindings load koffi on demand.
 * (`llem bench --dry-run` does open NVML: it checks --gpus against the GPUs there are.)
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { makeProject, REPO, runCli } from './fixtures/project.js'

const TRACER = path.join(REPO, 'test', 'fixtures', 'trace-native-addons.mjs')

function traced(): { env: Record<string, string>; addons: () => string[] } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-addons-')), 'addons.txt')
  return {
    env: { NODE_OPTIONS: `--import ${pathToFileURL(TRACER).href}`, LLEM_TRACE_ADDONS: file },
    addons: () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []),
  }
}

const BENCH = `import { describe, bench } from 'llem'
describe('suite', { backend: 'llama-cpp', model: { random: 'llama-1m' }, probes: { nvml: { library: 'libnvidia-ml.so.1' }, amdsmi: {}, rapl: {} } }, () => {
  bench('a', { dataset: { prompts: ['x'] }, sweep: { 'load.concurrency': [1, 2] } })
})
`

describe('commands that only read the plan load no native addon', () => {
  it('the tracer sees koffi when it is loaded (the control)', () => {
    const t = traced()
    execFileSync(process.execPath, ['-e', "require('koffi')"], { cwd: REPO, env: { ...process.env, ...t.env } })
    expect(t.addons().some((f) => /koffi\.node$/.test(f))).toBe(true)
  })

  it.each([
    ['--help', ['--help']],
    ['list', ['list']],
    ['list --json', ['list', '--json']],
  ])('llem %s', async (_name, args) => {
    const dir = makeProject({ 'benchmarks/a.bench.ts': BENCH })
    const t = traced()
    const r = await runCli(dir, args, t.env)
    expect(r.code, r.stderr).toBe(0)
    if (args[0] !== '--help') expect(r.stdout).toMatch(/concurrency/)
    expect(t.addons()).toEqual([])
  })
})
