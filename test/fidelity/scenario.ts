/**
 * One fidelity scenario end to end: start the simulated GPU server, point the fake NVML driver at its
 * live power trace, run the real `llem bench` (built dist/, openai backend) against it, and hold every
 * figure a user reads beside the truth from the server's own record (checks.ts builds the rows).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildFakeNvml, writeFakeNvmlConfig } from '../fixtures/fake-nvml/build.js'
import { makeProject, runCli, type CliResult } from '../fixtures/project.js'
import type { CheckOptions } from './checks.js'
import { startSimServer, type SimGpu, type SimServer } from './sim-gpu-server.js'
import { runOnSimulatedHosts } from './simulated-hosts.js'
import { startHostCpu, type HostCpuSpec } from './host-cpu.js'

export type InstantMode = 'exact' | 'h100' | 'avg1s'

export interface ScenarioGpu extends SimGpu {
  /** energy-counter update period */
  periodMs: number
  instant?: InstantMode
}

export interface Scenario {
  name: string
  gpus: ScenarioGpu[]
  /** engine iteration length */
  tickMs: number
  tokensPerChunk?: number
  /** usage on every SSE event (vLLM's continuous_usage_stats) */
  continuousUsage?: boolean
  /** distinct prompts, one request each (tagged rq<i> so the server's record can be matched) */
  requests: number
  /** prompt length in words (= tokens on the simulated server) of request i */
  promptWords: (i: number) => number
  maxTokens: number
  /** the bench's `load` (a TS literal) */
  load: string
  /** idle baseline seconds; 0 disables it */
  baselineSeconds: number
  /** more fake NVML directives (throttle reasons, processes, ...), times in seconds from the epoch */
  nvmlExtra?: (epochUnixS: number) => string
  /** more `measurement` options (a TS fragment starting with a comma) */
  measurement?: string
  /** llem's parallel.data: this many processes, one GPU each; the server routes request rq<i> to
   *  GPU i mod N, as llem shards request i to process i mod N (a replica per GPU) */
  dataParallel?: number
  /** the Slurm executor, one data-parallel process per simulated host (host i has GPU i only):
   *  see simulated-hosts.ts */
  hosts?: string[]
  /** the n-th request the server receives waits ms before the engine sees it (a cold replica) */
  hold?: { request: number; ms: number }
  /** a driver reload (counter back to 0) after the server receives this many requests */
  counterResetAfterRequests?: number
  /** the bench's `repeat`: this many runs of the one configuration, one after another */
  repeat?: number
  /** the mix of prefill and decode tokens varies enough for llem to fit each one's energy: the fidelity
   *  table gets their rows (checks-token-energy.ts) */
  fitsTokenEnergy?: boolean
  /** tolerances other than checks.ts's defaults, with the reason in the matrix */
  check?: CheckOptions
  /** a host CPU meter (RAPL package) beside the GPUs, drawing a known square wave (host-cpu.ts) */
  hostCpu?: HostCpuSpec
}

export interface ScenarioRun {
  scenario: Scenario
  cli: CliResult
  server: SimServer
  /** the raw process result and the aggregated result, as written */
  raw: Record<string, any>
  agg: Record<string, any>
  /** every aggregated result of the run (one per repeat), in the order they finished */
  all: Record<string, any>[]
  /** results.json as the json reporter wrote it (its `repeats` summary included) */
  report: Record<string, any>
  /** the host CPU trace's start (unix ms), when the scenario has one */
  hostCpuEpochMs?: number
}

const prompt = (i: number, words: number) => [`rq${i}`, ...Array.from({ length: Math.max(0, words - 1) }, (_, j) => `w${j % 7}`)].join(' ')

export async function runScenario(s: Scenario): Promise<ScenarioRun> {
  const lib = buildFakeNvml('current')
  const work = mkdtempSync(path.join(os.tmpdir(), 'llem-fidelity-'))
  const n = s.dataParallel
  const server = await startSimServer({
    gpus: s.gpus, tickMs: s.tickMs, tokensPerChunk: s.tokensPerChunk, continuousUsage: s.continuousUsage,
    powerFile: path.join(work, 'power.trace'), hold: s.hold,
    counterReset: s.counterResetAfterRequests ? { gpu: 0, afterRequests: s.counterResetAfterRequests } : undefined,
    route: n ? (p) => Number(/\brq(\d+)\b/.exec(p)?.[1] ?? 0) % n : undefined,
    // on simulated hosts each driver picks its own GPU's lines out of the one trace by UUID
    traceIds: s.hosts ? s.gpus.map((_, i) => `GPU-sim-${i}000`) : undefined,
  })
  const hostCpu = s.hostCpu ? startHostCpu(s.hostCpu) : null
  try {
    const device = (g: ScenarioGpu, i: number) => `device uuid=GPU-sim-${i}000 name="Simulated H100" arch=9 period_ms=${g.periodMs} idle_w=${g.idleW} instant=${g.instant ?? 'exact'}`
    const driver = (gpus: [ScenarioGpu, number][]) => writeFakeNvmlConfig(`${gpus.map(([g, i]) => device(g, i)).join('\n')}\n${server.nvmlLines}${s.nvmlExtra?.(server.epochUnixS) ?? ''}\n`)
    const nvml = driver(s.gpus.map((g, i) => [g, i]))
    const prompts = Array.from({ length: s.requests }, (_, i) => prompt(i, s.promptWords(i)))
    const baseline = s.baselineSeconds > 0 ? `{ seconds: ${s.baselineSeconds}, ttlSeconds: 0 }` : '{ enabled: false }'
    const dir = makeProject({
      'llem.config.ts': `export default {
  probes: ${hostCpu ? `{ nvml: {}, rapl: { root: ${JSON.stringify(hostCpu.root)} }, 'cpu-estimate': false }` : "['nvml']"},${s.hosts ? "\n  executor: { name: 'slurm', gpusPerTask: 1 }," : ''}
  measurement: { baseline: ${baseline}, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 ${s.measurement ?? ''} },
  generation: { maxTokens: ${s.maxTokens} },
  reporters: ['json'],
}
`,
      'benchmarks/sim.bench.ts': `import { bench } from 'llem'
bench(${JSON.stringify(s.name)}, { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'sim', ${s.dataParallel ? `gpus: 1, parallel: { data: ${s.dataParallel} },` : `gpus: ${s.gpus.length},`}
  dataset: { prompts: ${JSON.stringify(prompts)} }, load: ${s.load}${s.repeat ? `, repeat: ${s.repeat}` : ''} })
`,
    })
    const cli = s.hosts
      ? await runOnSimulatedHosts(dir, s.hosts.map((host, i) => ({ host, env: { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: driver([[s.gpus[i], i]]), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' } })))
      : await runCli(dir, ['bench'], { LD_LIBRARY_PATH: lib, FAKE_NVML_CONFIG: nvml, CUDA_DEVICE_ORDER: 'PCI_BUS_ID' }, { timeoutMs: 90_000 })
    let report: Record<string, any>
    try {
      const resultsDir = path.join(dir, 'llem-results')
      const runDir = path.join(resultsDir, readdirSync(resultsDir)[0])
      report = JSON.parse(readFileSync(path.join(runDir, 'results.json'), 'utf8'))
      if (!report.results.length) throw new Error('results.json holds no result')
    } catch (e) {
      throw new Error(`llem bench wrote no aggregated result (exit ${cli.code}):\n${cli.stderr.slice(-3000)}\n${cli.stdout.slice(-2000)}`, { cause: e })
    }
    const all: Record<string, any>[] = report.results
    return { scenario: s, cli, server, raw: all[0].process_results[0], agg: all[0], all, report, ...(hostCpu ? { hostCpuEpochMs: hostCpu.epochMs } : {}) }
  } finally {
    hostCpu?.stop()
    await server.close()
    rmSync(work, { recursive: true, force: true })
  }
}
