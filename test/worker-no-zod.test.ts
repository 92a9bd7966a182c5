/**
 * The experiment worker runs built-in plugins without loading zod: their options schemas are built on
 * first use (core/plugins/lazy-schema.ts) and the main process sends the backend's options parsed
 * (SessionTask.backendOptions), so nothing in the worker, nor in its sampler thread, builds one. zod
 * is ~95 ES modules, about 50 ms of every experiment's process start on a 2-core VM. A real `llem
 * bench` (llama.cpp, llem's default probes) runs with every module of every process recorded.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, REPO, runCli } from './fixtures/project.js'

const TRACER = pathToFileURL(path.join(REPO, 'test', 'fixtures', 'trace-modules.mjs')).href

describe('the experiment worker', () => {
  it('runs llama.cpp and the default probes without loading zod, with the options the main process parsed', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      // threads: an option the worker must get as given, though it no longer parses it
      'benchmarks/a.bench.ts': `import { bench } from 'llem'
bench('a', { backend: { name: 'llama-cpp', threads: 1, contextSize: 256 }, model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 2 } })
`,
    })
    const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-modules-')), 'modules.txt')
    const r = await runCli(dir, ['bench'], { NODE_OPTIONS: `--import ${TRACER}`, LLEM_TRACE_MODULES: trace, LLEM_TRACE_MODULES_PID: '1' })
    expect(r.code, r.stderr).toBe(0)

    const byPid = new Map<string, string[]>()
    for (const line of readFileSync(trace, 'utf8').split('\n').filter(Boolean)) {
      const [pid, url] = line.split(' ')
      byPid.set(pid, [...(byPid.get(pid) ?? []), url])
    }
    const workers = [...byPid.values()].filter((m) => m.some((u) => u.endsWith('/core/run/worker.js')))
    const main = [...byPid.values()].filter((m) => m.some((u) => u.endsWith('/core/cli/main.js')))
    expect(workers).toHaveLength(1)
    expect(main).toHaveLength(1)
    // the controls: the tracer sees zod where it is loaded (the main process checks the config), and
    // the worker did load the backend, the probes and the sampler thread's modules
    expect(main[0].some((u) => u.includes('/node_modules/zod/'))).toBe(true)
    const worker = workers[0]
    expect(worker.some((u) => u.endsWith('/plugins/backends/llama-cpp/index.js'))).toBe(true)
    expect(worker.some((u) => u.endsWith('/plugins/probes/cpu-estimate.js'))).toBe(true)
    expect(worker.some((u) => u.endsWith('/core/measure/sampler-thread.js'))).toBe(true)
    expect(worker.filter((u) => u.includes('/node_modules/zod/'))).toEqual([])

    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
    const [file] = readdirSync(path.join(runDir, 'aggregated'))
    const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', file), 'utf8'))
    expect(agg.status).toBe('completed')
    const settings = agg.process_results[0].environment.backend_settings
    expect(settings.threads).toBe(1)
    expect(settings.context_size).toBe(256)
    expect(existsSync(trace)).toBe(true)
  })
})
