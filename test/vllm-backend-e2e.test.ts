/**
 * The managed `vllm` backend end to end, against the stand-in `vllm` executable (real argument checks,
 * the real llama-server behind vLLM's HTTP surface and Prometheus metrics): option mapping, /metrics
 * scraped into extended_metrics, the server log kept, and the lifecycle: a rejected argument, a health
 * wait that times out, an engine that dies mid-run, and no orphan after the worker is SIGKILLed.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { alive, engineEnv, runResults, standinPids, waitGone } from './fixtures/engines.js'
import { llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { BIN, makeProject, QUICK_CONFIG, runCli, TEST_CACHE } from './fixtures/project.js'

let env: (extra?: Record<string, string>) => Record<string, string>
let model = ''
beforeAll(async () => {
  const bin = llamaServerPath()
  model = await tinyModelPath()
  env = (extra = {}) => engineEnv(bin, model, extra)
}, 1_800_000)

const vllmBench = (name: string, options: string, extra = '') =>
  `import { bench } from 'llem'\nbench(${JSON.stringify(name)}, { backend: { name: 'vllm', servedModelName: 'tiny', extraBody: { cache_prompt: false }, metricsIntervalMs: 100, ${options} }, model: process.env.TINY_MODEL, dataset: { prompts: ['Hello there', 'Tell me a story'] }, ${extra} })\n`

describe('the vllm backend', () => {
  it('maps options to vLLM flags, scrapes /metrics into extended_metrics and keeps the server log', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/v.bench.ts': vllmBench('vllm', 'maxNumSeqs: 2, enablePrefixCaching: true, dtype: "bfloat16", gpuMemoryUtilization: 0.8, enforceEager: true', 'load: { concurrency: 4, requests: 100000, duration: 1.5 }, generation: { maxTokens: 32 }') })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const [a] = runResults(dir)
    const raw = a.process_results[0]
    const cmd: string[] = raw.environment.backend_settings.command
    expect(raw.inference_metrics.num_failed_requests, JSON.stringify(raw.requests.find((q: any) => !q.ok))).toBe(0)
    // the bench's model is the tiny GGUF's path (TINY_MODEL in the CLI's env), passed on as vLLM's model
    expect(cmd.slice(0, 3)).toEqual(['vllm', 'serve', model])
    expect(cmd.join(' ')).toContain('--max-num-seqs 2 --dtype bfloat16 --gpu-memory-utilization 0.8 --enable-prefix-caching --enforce-eager --seed 0')
    expect(raw.environment.software.vllm).toBe('0.11.0+standin')
    expect(a.backend_version ?? raw.backend_version).toBe('0.11.0+standin')
    const server = raw.extended_metrics.server
    expect(server.metrics_format).toBe('vllm prometheus')
    expect(server.scrapes).toBeGreaterThanOrEqual(3)
    expect(server.failed_scrapes).toBe(0)
    // the engine runs at most max_num_seqs while llem keeps 4 in flight: the rest wait in the engine's queue
    expect(server.running_requests_max).toBe(2)
    // 4 in flight, 2 running: the engine's queue holds the other 2 at every scrape that falls mid-run
    // (1 in the instant between a finished request and llem's next one), never more than 4 - 2
    expect(server.waiting_requests_max).toBeGreaterThanOrEqual(1)
    expect(server.waiting_requests_max).toBeLessThanOrEqual(2)
    expect(raw.extended_metrics.batch.effective_batch_size).toBeLessThanOrEqual(2.0001)
    expect(server.client_in_flight_mean).toBeGreaterThan(raw.extended_metrics.batch.effective_batch_size)
    // two prompts repeated: after the first of each, every query hits the prefix cache
    expect(raw.extended_metrics.kv_cache.prefix_cache_hit_rate).toBeGreaterThan(0.5)
    expect(raw.extended_metrics.kv_cache.kv_cache_usage_mean).toBeGreaterThan(0)
    const log = readFileSync(path.join(a.runDir, raw.log_path), 'utf8')
    expect(log).toContain('[server] INFO')
    expect(log).toContain('Started server process')
    expect(typeof raw.model_load.energy_j).toBe('number')
    expect(alive(raw.environment.backend_settings.server_pid)).toBe(false)
  })

  it('a flag vLLM does not know fails the experiment with vLLM\'s own message (exit code 2 of the CLI)', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/v.bench.ts': vllmBench('bad flag', "extraArgs: ['--max-num-sequences', '4']") })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code).toBe(1)
    const [a] = runResults(dir)
    expect(a.status).toBe('failed')
    expect(a.error.message).toContain('exited (code 2)')
    expect(a.error.message).toContain('unrecognized arguments: --max-num-sequences')
  })

  it('prefix caching off is said explicitly, and the hit rate is then 0', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/v.bench.ts': vllmBench('no prefix cache', 'enablePrefixCaching: false, maxNumSeqs: 2', 'load: { concurrency: 2, requests: 8 }') })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const raw = runResults(dir)[0].process_results[0]
    expect(raw.environment.backend_settings.command).toContain('--no-enable-prefix-caching')
    expect(raw.extended_metrics.kv_cache.prefix_cache_hit_rate).toBe(0)
  })

  it('a health wait that times out fails with the log tail and leaves neither the engine nor its children', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/v.bench.ts': vllmBench('slow start', 'startupTimeoutMs: 2500') })
    const pidFile = path.join(dir, 'pids.txt')
    const r = await runCli(dir, ['bench'], env({ STANDIN_HEALTH_DELAY_MS: '600000', STANDIN_PID_FILE: pidFile }))
    expect(r.code).toBe(1)
    const [a] = runResults(dir)
    expect(a.error.message).toMatch(/did not answer http:\/\/127\.0\.0\.1:\d+\/health within 2500 ms/)
    expect(a.error.message).toContain('listening on http://127.0.0.1:')
    expect(await waitGone(standinPids(pidFile))).toEqual([])
  })

  it('an engine that dies mid-run fails the experiment, and the children it left are stopped', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/v.bench.ts': vllmBench('crash', '', 'load: { concurrency: 2, requests: 50 }') })
    const pidFile = path.join(dir, 'pids.txt')
    const r = await runCli(dir, ['bench'], env({ STANDIN_DIE_AFTER: '6', STANDIN_PID_FILE: pidFile }))
    expect(r.code).toBe(1)
    const [a] = runResults(dir)
    expect(a.status).toBe('failed')
    expect(a.error.message).toMatch(/died mid-run/)
    const raw = a.process_results?.[0]
    if (raw?.log_path) expect(readFileSync(path.join(a.runDir, raw.log_path), 'utf8')).toContain('simulated crash')
    expect(await waitGone(standinPids(pidFile))).toEqual([])
  })

  it('no engine process is left when llem\'s worker is SIGKILLed mid-run', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'benchmarks/v.bench.ts': vllmBench('killed', '', 'load: { requests: 100000 }, timeout: 120000') })
    const pidFile = path.join(dir, 'pids.txt')
    const child = spawn(process.execPath, [BIN, 'bench'], { cwd: dir, env: { ...process.env, ...env({ STANDIN_PID_FILE: pidFile }), LLEM_CACHE_DIR: TEST_CACHE, CI: 'true' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    const closed = new Promise((r) => child.on('close', r))
    while (!out.includes('killed: measure')) await new Promise((r) => setTimeout(r, 50))
    const pids = standinPids(pidFile)
    // the stand-in's parent is its supervisor, whose parent is the worker process that started it
    const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1])
    const worker = parentOf(parentOf(pids[0]))
    expect(worker).not.toBe(child.pid)
    expect(parentOf(worker)).toBe(child.pid)
    process.kill(worker, 'SIGKILL')
    expect(await closed).toBe(1)
    expect(await waitGone(pids)).toEqual([])
    expect(existsSync(pidFile)).toBe(true)
  })
})
