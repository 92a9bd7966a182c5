/**
 * After an experiment times out, its GPU goes to the next experiment only once the server it started
 * has gone. The first experiment's engine (test/fixtures/power-hog-server.mjs) hangs on its request,
 * ignores SIGTERM and draws 400 W on GPU-one while it lives; the next experiment runs llama.cpp on the
 * CPU, pinned to the same GPU, which idles at 100 W in the fake NVML. Before the fix it measured the
 * orphaned server's 400 W through its whole window (the supervisor's SIGKILL came 5 s after SIGTERM).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { maxOf } from '../core/stats/extent.js'
import { buildFakeNvml, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { makeProject, runCli } from './fixtures/project.js'

let lib: string
beforeAll(() => {
  lib = buildFakeNvml('current')
})

const HOG = path.join(import.meta.dirname, 'fixtures', 'power-hog-server.mjs')

describe('a timed-out experiment on a GPU', () => {
  it('its server has exited before the next experiment on that GPU starts, which measures the GPU idle', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'llem-hog-'))
    const trace = path.join(tmp, 'power.trace')
    const log = path.join(tmp, 'hog.log')
    writeFileSync(trace, '')
    const epoch = Math.floor(Date.now() / 1000) - 10
    const nvml = writeFakeNvmlConfig(`clock epoch=${epoch}\npower_file ${trace}\ndevice uuid=GPU-one name="GPU One" arch=9 period_ms=5 idle_w=100\n`)
    const command = JSON.stringify([process.execPath, HOG, '{port}', trace, String(epoch), log])
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['nvml'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 }, generation: { maxTokens: 8 } }\n`,
      'benchmarks/s.bench.ts': `import { bench } from 'llem'
bench('A hangs', { backend: { name: 'server', command: ${command} }, model: 'hog', dataset: { prompts: ['x'] }, timeout: 3000 })
bench('B next', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] }, load: { requests: 1000000, duration: 1.5 } })
`,
    })
    const r = await runCli(dir, ['bench', '--gpus', '0', '--max-parallel', '1'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: nvml })
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!)
    const results = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
    const a = results.find((x) => x.experiment_name === 'A hangs')
    const b = results.find((x) => x.experiment_name === 'B next')
    expect(a.status).toBe('failed')
    expect(b.status, JSON.stringify(b.error)).toBe('completed')
    // the hog's last sign of life came before B started
    const lastAlive = maxOf(readFileSync(log, 'utf8').trim().split('\n').filter((l) => l.startsWith('alive')).map((l) => Number(l.split(' ')[1])))
    expect(lastAlive).toBeLessThan(Date.parse(b.start_time))
    // B's window on GPU-one: the idle 100 W, not the orphan's 400 W
    const raw = b.process_results[0]
    const gpuJ = raw.energy_metrics.gpu_energy_j
    const watts = gpuJ / raw.energy_metrics.duration_sec
    expect(watts).toBeGreaterThan(98)
    expect(watts).toBeLessThan(102)
  })
})
