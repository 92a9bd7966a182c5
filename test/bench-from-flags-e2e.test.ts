/**
 * A run without a bench file, as a `vllm bench serve` user types it: `llem bench --backend.name openai
 * --backend.baseURL <server> --model m --dataset.prompts ...` in an empty directory runs one experiment
 * against a scripted OpenAI-compatible server, and its results match what that server sent. Flags that
 * do not make a bench are refused (exit 2) naming the missing flag; where bench files exist, the same
 * flags stay overrides of those benches.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

// the server decides how long each answer is: 6 tokens, in chunks of 2
const TOKENS_SENT = 6
const PROMPTS = ['alpha', 'bravo', 'charlie', 'delta', 'echo']
// quick and host-independent: no idle baseline, no warmup requests (the server then sees only measured ones)
const QUICK = ['--measurement.baseline.enabled', 'false', '--measurement.warmup.mode', 'fixed', '--measurement.warmup.requests', '0', '--probes', 'cpu-estimate']

let server: SseServer
beforeAll(async () => {
  server = await startSseServer(() => ({ tokens: TOKENS_SENT, tokensPerChunk: 2 }))
})
afterAll(() => server.close())

const emptyDir = () => mkdtempSync(path.join(os.tmpdir(), 'llem-flags-'))

describe('llem bench from flags alone', () => {
  it('runs one experiment named "cli" whose requests and tokens are what the server answered', async () => {
    const dir = emptyDir()
    const args = ['bench', '--backend.name', 'openai', '--backend.baseURL', server.url, '--model', 'm', '--dataset.prompts', PROMPTS.join(','), '--generation.maxTokens', String(TOKENS_SENT), '--reporter', 'json', '--reporter', 'github-actions', ...QUICK]
    const r = await runCli(dir, args)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const runs = readdirSync(path.join(dir, 'llem-results')).filter((d) => !d.startsWith('.'))
    expect(runs).toHaveLength(1)
    const runDir = path.join(dir, 'llem-results', runs[0])
    const report = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'))
    expect(report.results).toHaveLength(1)
    const [a] = report.results
    expect(a.status).toBe('completed')
    // what the server received: one completion per prompt given on the command line, nothing else
    expect(server.requests.map((q) => q.body.prompt).sort()).toEqual([...PROMPTS].sort())
    expect(server.requests.every((q) => q.body.model === 'm')).toBe(true)
    expect(a.num_requests).toBe(server.requests.length)
    expect(a.num_failed_requests).toBe(0)
    // what it sent: 6 tokens in each answer (its chunks carried 2 each)
    expect(server.sendTimes.map((t) => t.length * 2)).toEqual(PROMPTS.map(() => TOKENS_SENT))
    expect(a.total_output_tokens).toBe(server.requests.length * TOKENS_SENT)
    expect(a.process_results[0].requests.map((q: { output_tokens: number }) => q.output_tokens)).toEqual(PROMPTS.map(() => TOKENS_SENT))
    // recorded as a run from flags: no bench file, every setting from the command line
    expect(a.bench).toEqual({ file: '', name: 'cli', full_name: 'cli', location: 'command line', from_flags: true })
    expect(a.parameter_provenance['backend.baseURL']).toMatchObject({ value: server.url, source: 'cli' })
    expect(a.parameter_provenance['model']).toMatchObject({ value: 'm', source: 'cli' })
    const manifest = JSON.parse(readFileSync(path.join(runDir, 'manifest.json'), 'utf8'))
    expect(manifest.config_file).toBeNull()
    expect(manifest.experiments).toHaveLength(1)
    expect(manifest.experiments[0]).toMatchObject({ bench: 'cli', bench_file: '', bench_location: 'command line', bench_from_flags: true })
    expect(manifest.argv).toContain('--backend.baseURL')
    // GitHub annotations of a run with no bench file point at no file (the CPU estimate always warns)
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::warning'))
    expect(annotations.some((l) => l.includes('cpu energy is an estimate'))).toBe(true)
    for (const l of annotations) expect(l).toMatch(/^::warning title=llem measurement warning%3A cli::/)
  })

  it('without a dataset flag, plans a synthetic dataset', async () => {
    const r = await runCli(emptyDir(), ['list', '--json', '--backend.name', 'openai', '--backend.baseURL', server.url, '--model', 'm'])
    expect(r.code, r.stderr).toBe(0)
    const plan = JSON.parse(r.stdout)
    expect(plan.files).toEqual([])
    expect(plan.experiments).toHaveLength(1)
    expect(plan.experiments[0].bench.from_flags).toBe(true)
    expect(Object.keys(plan.experiments[0].effective_config.dataset)).toContain('synthetic')
  })

  it('refuses flags that make no bench, naming the missing flag, and writes nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--backend.name', 'openai', '--backend.baseURL', server.url], /needs --model/],
      [['--model', 'm'], /needs --backend\.name/],
      [['--backend.baseURL', server.url, '--model', 'm'], /needs --backend\.name/],
    ]
    for (const [flags, message] of cases) {
      const dir = emptyDir()
      const r = await runCli(dir, ['bench', ...flags, ...QUICK])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(/^llem: command line: a run without a bench file /)
      expect(r.stderr).toMatch(message)
      expect(existsSync(path.join(dir, 'llem-results'))).toBe(false)
    }
    expect(server.requests.length).toBe(PROMPTS.length)
  })

  it('with no bench file and no backend or model flag, still says no bench files, and how to run from flags', async () => {
    const r = await runCli(emptyDir(), ['bench', '--load.concurrency', '2'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no bench files were found at all')
    expect(r.stderr).toContain('llem bench --backend.name openai --backend.baseURL')
  })

  it('where bench files exist, the same flags override their benches and add none', async () => {
    const dir = makeProject({
      'benchmarks/own.bench.ts': `import { bench } from 'llem'\nbench('own', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n`,
    })
    const r = await runCli(dir, ['list', '--json', '--backend.name', 'openai', '--backend.baseURL', server.url, '--model', 'm'])
    expect(r.code, r.stderr).toBe(0)
    const plan = JSON.parse(r.stdout)
    expect(plan.experiments.map((x: { bench: { name: string } }) => x.bench.name)).toEqual(['own'])
    const x = plan.experiments[0]
    expect(x.bench.from_flags).toBeUndefined()
    expect(x.effective_config.backend).toMatchObject({ name: 'openai', baseURL: server.url })
    expect(x.effective_config.model).toBe('m')
    expect(x.effective_config.dataset.prompts).toEqual(['x'])
  })
})
