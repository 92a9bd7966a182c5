/**
 * The scenario matrix of `npm run fidelity` and the test/fidelity-*.test.ts files. Power parameters
 * are of an H100's order (70 W idle, a few hundred W busy); counter periods span the 20-100 ms real
 * GPUs update at. Each scenario keeps its measured window to a few seconds so the suite stays fast.
 */
import type { Scenario, ScenarioGpu } from './scenario.js'

const H100: ScenarioGpu = { idleW: 70, aPrefill: 0.02, bDecode: 0.12, cOccupancy: 1.5, maxBatch: 64, periodMs: 20, instant: 'h100' }

export const SCENARIOS: Record<string, Scenario> = {
  'batch 1, closed loop': {
    name: 'batch 1, closed loop', gpus: [{ ...H100, bDecode: 2 }], tickMs: 10, requests: 12, promptWords: (i) => 16 + 8 * (i % 4), maxTokens: 16,
    load: '{ concurrency: 1 }', baselineSeconds: 0,
  },
  'concurrency 64, closed loop, idle baseline': {
    name: 'concurrency 64, closed loop, idle baseline', gpus: [{ ...H100, periodMs: 50 }], tickMs: 20, requests: 192, promptWords: (i) => 32 + (i % 8) * 16, maxTokens: 24,
    load: '{ concurrency: 64 }', baselineSeconds: 1,
    // 64 streams end and restart together: one client process stamps 64 sockets' chunks in turn, on a
    // host whose 2 cores the server and the test share; its latencies are held to looser bounds
    check: { latencyMs: 10, e2eMs: 15 },
  },
  'open loop, client queueing': {
    name: 'open loop, client queueing', gpus: [H100], tickMs: 10, requests: 64, promptWords: () => 24, maxTokens: 16,
    load: "{ rate: 'inf', concurrency: 8 }", baselineSeconds: 0,
  },
  '4 tokens per SSE chunk': {
    name: '4 tokens per SSE chunk', gpus: [H100], tickMs: 10, tokensPerChunk: 4, requests: 32, promptWords: () => 24, maxTokens: 32,
    load: '{ concurrency: 8 }', baselineSeconds: 0,
  },
  '4 tokens per SSE chunk, usage on every chunk': {
    name: '4 tokens per SSE chunk, usage on every chunk', gpus: [H100], tickMs: 10, tokensPerChunk: 4, continuousUsage: true, requests: 32, promptWords: () => 24, maxTokens: 32,
    load: '{ concurrency: 8 }', baselineSeconds: 0,
  },
  '2 GPUs, data parallel in the server': {
    name: '2 GPUs, data parallel in the server', tickMs: 10, requests: 96, promptWords: (i) => 16 + (i % 3) * 16, maxTokens: 24,
    gpus: [H100, { ...H100, idleW: 55, bDecode: 0.2, periodMs: 100, instant: 'avg1s' }],
    load: '{ concurrency: 16 }', baselineSeconds: 0,
  },
  // an 8-GPU node serving one model data-parallel: counters from 20 to 100 ms, idle 55-85 W, different
  // per-token costs and both instant-power flavours, each GPU against its own trace
  '8 GPUs, data parallel in the server': {
    name: '8 GPUs, data parallel in the server', tickMs: 10, requests: 128, promptWords: (i) => 16 + (i % 4) * 8, maxTokens: 16,
    gpus: Array.from({ length: 8 }, (_, i) => ({ ...H100, idleW: 55 + 5 * (i % 7), bDecode: 0.1 + 0.02 * i, periodMs: [20, 50, 100, 20, 50, 100, 20, 50][i], instant: i % 2 ? 'avg1s' : 'h100' }) as ScenarioGpu),
    load: '{ concurrency: 32 }', baselineSeconds: 0,
  },
  // a driver reload mid-window: the counter restarts from 0 once half the requests have arrived
  'counter reset mid-window': {
    name: 'counter reset mid-window', gpus: [H100], tickMs: 10, requests: 64, promptWords: () => 24, maxTokens: 24,
    load: '{ concurrency: 8 }', baselineSeconds: 0, counterResetAfterRequests: 33,
  },
  // llem's own data parallel: a process per GPU, each window opening after that process's warmup
  'data parallel, 2 processes, staggered windows': {
    name: 'data parallel, 2 processes, staggered windows', tickMs: 10, requests: 96, promptWords: (i) => 16 + (i % 3) * 16, maxTokens: 24,
    gpus: [H100, { ...H100, idleW: 55, bDecode: 0.2 }], dataParallel: 2,
    load: '{ concurrency: 8 }', baselineSeconds: 0,
    // the second warmup (the other process's) is held 900 ms: that process's window opens later (the
    // windows open once both the warmup is done and the probes are open, and opening the host's RAPL
    // meter takes a few hundred ms, so a shorter hold would hide behind it)
    hold: { request: 2, ms: 900 },
    // both processes read the one host's CPU meter (RAPL), which draws 20 W and 65 W in turn every
    // 150 ms: counted once over the union of the windows, the share pro-rated with its stated bound
    hostCpu: { lowW: 20, highW: 65, halfPeriodMs: 150 },
  },
  // the Slurm executor: each data-parallel process an array task on its own host, with that host's GPU
  'Slurm, 2 simulated hosts, data parallel': {
    name: 'Slurm, 2 simulated hosts, data parallel', tickMs: 10, requests: 64, promptWords: (i) => 16 + (i % 3) * 16, maxTokens: 24,
    gpus: [H100, { ...H100, idleW: 55, bDecode: 0.2, periodMs: 50 }], dataParallel: 2, hosts: ['node-a', 'node-b'],
    load: '{ concurrency: 8 }', baselineSeconds: 0,
  },
  // the GPU goes idle as the last token leaves, while the counter's last 100 ms (not yet counted) were
  // busy: the error model must take the edge power from the period before each edge
  'window under 10 counter updates': {
    name: 'window under 10 counter updates', gpus: [{ ...H100, periodMs: 100, bDecode: 0.5, instant: 'exact' }], tickMs: 10, requests: 4, promptWords: () => 16, maxTokens: 16,
    load: '{ concurrency: 4 }', baselineSeconds: 0,
  },
  // the same with H100 part-time instant power (25 ms of each 100 ms, read up to 175 ms late): the edge
  // powers the model gets are stale, a limit uncertainty.ts states; in the table, not in the tests
  'window under 10 counter updates, H100 instant power': {
    name: 'window under 10 counter updates, H100 instant power', gpus: [{ ...H100, periodMs: 100, bDecode: 0.5 }], tickMs: 10, requests: 4, promptWords: () => 16, maxTokens: 16,
    load: '{ concurrency: 4 }', baselineSeconds: 0,
  },
  'ramping power': {
    name: 'ramping power', gpus: [{ ...H100, rampWPerS: 25 }], tickMs: 10, requests: 64, promptWords: () => 24, maxTokens: 24,
    load: '{ concurrency: 8 }', baselineSeconds: 0,
  },
  // three runs of one configuration while the die warms: each repeat draws more than the one before,
  // so the repeats' interval has a real width to check against the truth
  'repeats: 3 runs while power ramps': {
    name: 'repeats: 3 runs while power ramps', gpus: [{ ...H100, rampWPerS: 20 }], tickMs: 10, requests: 48, promptWords: () => 24, maxTokens: 24,
    load: '{ concurrency: 8 }', baselineSeconds: 0, repeat: 3,
  },
  'power-capped (throttled)': {
    name: 'power-capped (throttled)', gpus: [{ ...H100, bDecode: 0.6, capW: 250 }], tickMs: 10, requests: 32, promptWords: () => 24, maxTokens: 24,
    load: '{ concurrency: 8 }', baselineSeconds: 0,
    // the driver reports sw_power_cap (0x4) exactly while an iteration runs at the cap (sim-gpu-server.ts)
  },
  // energy per prefill and per decode token (token-energy-fit.ts): bursts of long prompts and bursts of
  // short ones arriving in a bursty open loop, so the prefill-to-decode mix differs from slice to slice
  'prefill/decode mix varies: bursts of long and short prompts': {
    name: 'prefill/decode mix varies: bursts of long and short prompts', gpus: [H100], tickMs: 10, requests: 160,
    promptWords: (i) => (Math.floor(i / 8) % 2 === 0 ? 300 + 300 * (i % 3) : 8), maxTokens: 64,
    load: '{ rate: 20, burstiness: 0.2, concurrency: 48, seed: 3 }', baselineSeconds: 1, fitsTokenEnergy: true,
  },
  // the same GPU with one mix throughout and no idle baseline: every prompt of one length, a closed loop
  // holding 8 in flight, so each slice decodes about as many tokens as the next and idle cannot be told
  // from decode power
  'prefill/decode mix constant, no idle baseline': {
    name: 'prefill/decode mix constant, no idle baseline', gpus: [H100], tickMs: 10, requests: 160, promptWords: () => 200, maxTokens: 32,
    load: '{ concurrency: 8 }', baselineSeconds: 0,
  },
}
