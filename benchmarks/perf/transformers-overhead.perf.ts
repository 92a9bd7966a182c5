/**
 * The transformers backend's overhead on the real stack (the tf5 environment of
 * scripts/build-python-envs, on the CPU): output tokens/s through llem's worker (the backend session an
 * experiment uses: TypeScript client, JSON-lines protocol, tokenization and per-step stamps in worker.py)
 * against a bare model.generate() loop (bare_generate_loop.py) doing the same work in the same
 * environment and process conditions: the same interpreter and model folder, float32, greedy, exactly
 * maxTokens per request, one request at a time, one torch thread, unbuffered Python, both started by this
 * process, kept alive and pinned to one CPU. They take turns, a few requests each, for many rounds (the
 * order rotating), so that the machine's slow spells (a shared 2-core VM drifts by 10% over seconds) hit
 * both alike; the ratio compares the upper quartiles of the turns' rates (below), and a second bare
 * loop against the first gives the noise floor. The model is a random-weight Llama (hidden 512, 8 layers, 19 M
 * parameters, about 10 ms per step on one CPU thread) saved by test/python/tiny_model.py. Target: llem / bare >= 0.99.
 * `npx jiti benchmarks/perf/run.ts transformers`
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { EXPERIMENT_DEFAULTS } from '../../core/config/defaults.js'
import { transformersBackend, type TransformersSession } from '../../plugins/backends/transformers/index.js'
import { CACHE, REPO } from './util.js'

const ENV = { HF_HUB_OFFLINE: '1', OMP_NUM_THREADS: '1', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' }
const PROMPTS = ['Hello there', 'Tell me a story', 'What is energy?', 'Write a haiku about GPUs']

function tf5Python(): string {
  if (process.env.LLEM_PY_TF5) return process.env.LLEM_PY_TF5
  const out = execFileSync('bash', [path.join(REPO, 'scripts', 'build-python-envs'), 'tf5'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  return out.trim().split('=').slice(1).join('=')
}

/**
 * Both Python processes run on the same CPU when taskset is there (llem's through a one-line wrapper
 * given as its interpreter): on a VM two identical processes on different vCPUs differ by several percent.
 */
function pinning(python: string): { argv: (args: string[]) => [string, string[]]; llemPython: string; cpu: number | null } {
  const cpu = os.cpus().length - 1
  if (spawnSync('taskset', ['-c', String(cpu), 'true']).status !== 0) return { argv: (args) => [python, args], llemPython: python, cpu: null }
  const wrapper = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-perf-pin-')), 'python')
  writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c ${cpu} ${JSON.stringify(python)} "$@"\n`)
  chmodSync(wrapper, 0o755)
  return { argv: (args) => ['taskset', ['-c', String(cpu), python, ...args]], llemPython: wrapper, cpu }
}

/** The bare loop as a long-lived process that runs N requests per line it reads. */
async function startBare(argv: [string, string[]]) {
  // started like llem starts its worker: -u, its own process group, the same environment
  const child = spawn(argv[0], argv[1], { env: { ...process.env, ...ENV }, stdio: ['pipe', 'pipe', 'inherit'], detached: true })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => {
    const r = await lines.next()
    if (r.done) throw new Error('the bare generate() loop exited')
    return r.value
  }
  if ((await next()) !== 'ready') throw new Error('the bare generate() loop did not start')
  return {
    async run(n: number): Promise<{ output_tokens: number; seconds: number }> {
      child.stdin.write(`${n}\n`)
      return JSON.parse(await next())
    },
    stop: () => child.kill('SIGKILL'),
  }
}

type Turn = (n: number) => Promise<{ output_tokens: number; seconds: number }>
const upperQuartile = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.75)]

export async function transformersOverhead(rounds = 20, perTurn = 4, maxTokens = 64) {
  const target = 0.99
  const python = tf5Python()
  const model = path.join(CACHE, 'hf-perf-llama-512h-8l')
  if (!existsSync(path.join(model, 'model.safetensors')))
    execFileSync(python, [path.join(REPO, 'test', 'python', 'tiny_model.py'), model, '--hidden', '512', '--layers', '8'], { env: { ...process.env, ...ENV }, stdio: 'ignore' })
  const pin = pinning(python)
  const session = (await transformersBackend.start({
    options: { python: pin.llemPython, env: ENV },
    model,
    generation: { ...EXPERIMENT_DEFAULTS.generation, maxTokens },
    concurrency: 1,
    cacheDir: CACHE,
    baseDir: REPO,
    log: () => {},
  })) as TransformersSession
  const script = path.join(REPO, 'benchmarks', 'perf', 'bare_generate_loop.py')
  // two bare loops: the second, against the first, is the noise floor of the comparison (A/A)
  const bare = await startBare(pin.argv(['-u', script, model, String(maxTokens)]))
  const bare2 = await startBare(pin.argv(['-u', script, model, String(maxTokens)]))
  const sink = { onTokens() {} }
  let sent = 0
  const llem: Turn = async (n) => {
    const t0 = performance.now()
    let tokens = 0
    for (let i = 0; i < n; i++) tokens += (await session.generate({ prompt: PROMPTS[sent++ % PROMPTS.length], maxTokens }, sink)).outputTokens
    return { output_tokens: tokens, seconds: (performance.now() - t0) / 1000 }
  }
  const sides = { llem, bare: bare.run, bare2: bare2.run }
  const names = Object.keys(sides) as (keyof typeof sides)[]
  const totals = Object.fromEntries(names.map((k) => [k, { tokens: 0, seconds: 0 }])) as Record<keyof typeof sides, { tokens: number; seconds: number }>
  const rates = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<keyof typeof sides, number[]>
  let insideGenerateMs = 0
  try {
    await llem(4) // the same warmup each bare loop had
    for (let r = 0; r < rounds; r++) {
      // the order rotates, so no side always follows the same one
      for (const name of names.map((_, i) => names[(i + r) % names.length])) {
        const m0 = session.batchCounters.modelMs
        const t = await sides[name](perTurn)
        if (name === 'llem') insideGenerateMs += session.batchCounters.modelMs - m0
        totals[name].tokens += t.output_tokens
        totals[name].seconds += t.seconds
        rates[name].push(t.output_tokens / t.seconds)
      }
    }
  } finally {
    bare.stop()
    bare2.stop()
    await session.close()
  }
  // The machine's slow spells only ever lower a turn's rate, at random: the turns they missed show
  // each side's own speed, and the upper quartile of the turn rates keeps those. The ratio of the
  // totals, every slow spell in it, is printed beside it, and so is the same pair of figures for the
  // two bare loops (what this machine can resolve at all).
  const total = (k: keyof typeof sides) => totals[k].tokens / totals[k].seconds
  const ratio = upperQuartile(rates.llem) / upperQuartile(rates.bare)
  return {
    rounds,
    per_turn: perTurn,
    max_tokens: maxTokens,
    pinned_cpu: pin.cpu,
    llem_tok_s: upperQuartile(rates.llem),
    bare_tok_s: upperQuartile(rates.bare),
    ratio,
    totals_ratio: total('llem') / total('bare'),
    aa_ratio: upperQuartile(rates.bare2) / upperQuartile(rates.bare),
    aa_totals_ratio: total('bare2') / total('bare'),
    // what llem adds around generate() itself: its share of llem's wall time (the streamer's per-step
    // stamp is inside generate() and not in it)
    outside_generate_share: 1 - insideGenerateMs / 1000 / totals.llem.seconds,
    tokens: { llem: totals.llem.tokens, bare: totals.bare.tokens },
    target,
    pass: ratio >= target,
  }
}
