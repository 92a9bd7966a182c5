/**
 * Prefix caching measured on the real llama-server: prompts of 96 shared-prefix tokens plus 16 unique
 * ones, all sharing one prefix (count 1) or none sharing (count = the number of prompts). What the
 * server itself reports decides: each response's usage.prompt_tokens_details.cached_tokens, and its
 * /metrics counters (llamacpp:prompt_tokens_cached_total beside prompt_tokens_total) scraped through
 * the window. One slot (-np 1), so every request finds the previous prompt in the cache. The same
 * workload on the llama-cpp backend gets the same exact lengths (it reports no cache figures).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

const PREFIX = 96
const SUFFIX = 16
const N = 16
const command = ['BIN', '-m', '{model}', '--host', '{host}', '--port', '{port}', '--alias', 'tiny', '-np', '1', '-c', '1024', '-t', '1', '--no-webui', '--metrics']
const dataset = (count: number) => `{ synthetic: { prefix: { count: ${count}, tokens: ${PREFIX} }, suffixTokens: ${SUFFIX}, n: ${N} } }`
const serverBench = (name: string, count: number) =>
  `bench(${JSON.stringify(name)}, { backend: { name: 'server', command: ${JSON.stringify(command)}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny', metricsPath: '/metrics', metricsIntervalMs: 100 }, model: { path: process.env.TINY_MODEL }, dataset: ${dataset(count)}, load: { concurrency: 1 } })\n`

function results(dir: string) {
  const root = path.join(dir, 'llem-results')
  const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  return readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8')))
}

describe('shared prefixes on llama-server', () => {
  it("count 1: most prompt tokens come from the server's cache; count = n: almost none, as the server reports both ways", async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/p.bench.ts': `import { bench } from 'llem'\n${serverBench('shared', 1)}${serverBench('unique', N)}bench('llama-cpp', { backend: 'llama-cpp', model: { path: process.env.TINY_MODEL }, dataset: ${dataset(4)}, generation: { maxTokens: 2 } })\n`,
    })
    const r = await runCli(dir, ['bench'], { LLAMA_SERVER_BIN: bin, TINY_MODEL: model })
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const all = results(dir)
    const byName = (n: string) => all.find((a) => a.bench.name === n)
    for (const [name, count] of [['shared', 1], ['unique', N]] as const) {
      const a = byName(name)
      const requests = a.process_results[0].requests
      expect(requests).toHaveLength(N)
      expect(a.workload.shared_prefix).toEqual({ count, tokens: PREFIX, suffix_tokens: { dist: 'fixed', value: SUFFIX }, assignment: 'round_robin' })
      // the server charged every prompt exactly prefix + suffix tokens, and said how many it had cached
      for (const q of requests) {
        expect(q.input_tokens).toBe(PREFIX + SUFFIX)
        expect(q.prefix_id).toBe(q.prompt_id % count)
        expect(typeof q.cached_input_tokens).toBe('number')
      }
      expect(a.workload.realised.requests_reporting_cached).toBe(N)
      expect(a.avg_energy_per_token_j).toBeGreaterThan(0)
    }
    const shared = byName('shared')
    const unique = byName('unique')
    // count 1: after the warmup every request finds the whole prefix cached (the last token is always recomputed)
    expect(shared.process_results[0].requests.every((q: { cached_input_tokens: number }) => q.cached_input_tokens >= PREFIX)).toBe(true)
    expect(shared.workload.realised.cached_input_share).toBeGreaterThan(PREFIX / (PREFIX + SUFFIX) - 0.01)
    // count = n: a new prefix every request: a few tokens that happen to match (the BOS, a first letter),
    // but for the first request, whose prompt the warmup request sent just before
    const later = unique.process_results[0].requests.slice(1)
    expect(later.every((q: { cached_input_tokens: number }) => q.cached_input_tokens < 8)).toBe(true)
    expect(unique.workload.realised.cached_input_share).toBeLessThan(0.1)
    // the server's /metrics counters over the window say the same as its responses
    for (const a of [shared, unique]) {
      expect(a.extended_metrics.server.metrics_format).toBe('prometheus')
      expect(a.extended_metrics.kv_cache.prefix_cache_hit_rate).toBeCloseTo(a.workload.realised.cached_input_share, 2)
    }
    // llama-cpp: the same exact lengths and prefix assignment; no cache figure is claimed
    const cpp = byName('llama-cpp').process_results[0]
    expect(cpp.requests.every((q: { input_tokens: number; prefix_id: number; prompt_id: number; cached_input_tokens?: number }) => q.input_tokens === PREFIX + SUFFIX && q.prefix_id === q.prompt_id % 4 && q.cached_input_tokens === undefined)).toBe(true)
    expect(cpp.workload.realised.cached_input_share).toBeUndefined()
  }, 120_000)
})
