/**
 * llama.cpp pads the context it allocates: `backend.contextSize: 16` gets a larger context. The result
 * says so (a measurement warning naming both sizes), instead of a silent difference between the
 * option and `environment.backend_settings.context_size`; a size llama.cpp keeps as asked says nothing.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const BENCH = (name: string, size: number) => `bench('${name}', { backend: { name: 'llama-cpp', contextSize: ${size} }, model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] }, generation: { maxTokens: 4 }, load: { requests: 2 } })`

describe('llama-cpp contextSize', () => {
  it('a size llama.cpp rounds is reported with the size used; one it keeps is not', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/c.bench.ts': `import { bench } from 'llem'\n${BENCH('tiny', 16)}\n${BENCH('kept', 1024)}\n` })
    const r = await runCli(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    const raws = readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8')).process_results[0])
    const tiny = raws.find((x) => x.experiment_name === 'tiny')
    const used = tiny.environment.backend_settings.context_size
    expect(used).toBeGreaterThan(16)
    expect(tiny.measurement_warnings).toContain(`backend.contextSize 16 was rounded by llama.cpp to ${used} tokens per sequence: prompt + maxTokens must fit in ${used}`)
    const kept = raws.find((x) => x.experiment_name === 'kept')
    expect(kept.environment.backend_settings.context_size).toBe(1024)
    expect(kept.measurement_warnings.filter((w: string) => w.includes('contextSize'))).toEqual([])
  }, 120_000)
})
