/**
 * `llem list --json` writes each config section's text once and reuses it for every experiment that
 * shares the section: the document must still be exactly what one JSON.stringify(plan, null, 2)
 * writes (key order included: a series experiment's `series` after its config), with a secret masked
 * in the section that holds it and in every other place that echoes it.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const SECRET = 'sk-test-9f8e7d6c5b4a'
const BENCH = `import { bench } from 'llem'
const backend = { name: 'openai', baseURL: 'http://127.0.0.1:9/v1', extraBody: { api_key: '${SECRET}' } }
bench('series', { backend, model: 'm', dataset: { prompts: ['a'] }, load: { profile: 'sweep', concurrency: 8 } })
bench('plain', { backend, model: 'm', dataset: { prompts: ['echo ${SECRET}'] }, timeout: 90, repeat: 2, sweep: { 'generation.maxTokens': [4, 8] } })
`

describe('llem list --json, written section by section', () => {
  it('is the text of one JSON.stringify, in its key order, with the secret masked everywhere', async () => {
    const r = await runCli(makeProject({ 'benchmarks/s.bench.ts': BENCH }), ['list', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain(SECRET)
    const listed = JSON.parse(r.stdout) as { experiments: Array<Record<string, any>> }
    expect(r.stdout).toBe(JSON.stringify(listed, null, 2) + '\n')
    expect(listed.experiments.map((x) => x.name)).toEqual(['series [sweep 1/10: 1 in flight]', 'plain [generation.maxTokens=4] #1', 'plain [generation.maxTokens=4] #2', 'plain [generation.maxTokens=8] #1', 'plain [generation.maxTokens=8] #2'])
    // the series' plan comes after its config, as the experiment lists it
    expect(Object.keys(listed.experiments[0]).slice(-2)).toEqual(['effective_config', 'series'])
    expect(listed.experiments[0].series.then).toMatch(/max throughput/)
    for (const x of listed.experiments) expect(x.effective_config.backend.extraBody.api_key).toBe('[redacted]')
    expect(listed.experiments.slice(1).map((x) => [x.effective_config.dataset.prompts[0], x.effective_config.timeout, x.effective_config.generation.maxTokens])).toEqual([
      ['echo [redacted]', 90, 4], ['echo [redacted]', 90, 4], ['echo [redacted]', 90, 8], ['echo [redacted]', 90, 8],
    ])
  })
})
