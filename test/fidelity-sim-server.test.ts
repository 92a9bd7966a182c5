/**
 * The simulated GPU server and the fake driver's sensor artefacts, checked against physics rather than
 * against llem: the energy counter a separate reader sees moves by exactly the work the server did
 * (idle x time + a J per prefill token + b J per decode token), and the two instant-power flavours
 * of real drivers read the averages they are documented to.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Nvml } from '../plugins/probes/nvml/nvml.js'
import { fakeNvmlLibrary, writeFakeNvmlConfig } from './fixtures/fake-nvml/build.js'
import { startSimServer, type SimServer } from './fidelity/sim-gpu-server.js'
import { trueEnergyJ } from './fidelity/truth.js'

let lib: string
const cleanup: (() => unknown)[] = []
beforeAll(() => {
  lib = fakeNvmlLibrary('current')
})
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  delete process.env.FAKE_NVML_CONFIG
})

function open(script: string): Nvml {
  process.env.FAKE_NVML_CONFIG = writeFakeNvmlConfig(script)
  const nvml = Nvml.open(lib)
  cleanup.push(() => nvml.shutdown())
  return nvml
}

async function stream(server: SimServer, prompt: string, maxTokens: number): Promise<number> {
  const r = await fetch(`${server.url}/completions`, { method: 'POST', body: JSON.stringify({ prompt, max_tokens: maxTokens, stream: true }) })
  const text = await r.text()
  return (text.match(/ tok/g) ?? []).length
}

describe('the simulated GPU server drives the fake driver', () => {
  it('the counter moves by idle x time + a x prefill tokens + b x decode tokens, on the wall-clock time base the server writes in', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-sim-'))
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
    // a J per prefill token, b J per decode token (W per token/s x token/s x s), no occupancy term
    const gpu = { idleW: 60, aPrefill: 0.5, bDecode: 2, cOccupancy: 0, maxBatch: 8 }
    const server = await startSimServer({ gpus: [gpu], tickMs: 10, powerFile: path.join(dir, 'power.trace') })
    cleanup.push(() => server.close())
    const nvml = open(`device uuid=GPU-sim name="Simulated" arch=9 period_ms=10 idle_w=60\n${server.nvmlLines}`)
    const d = nvml.handleByIndex(0)
    await sleep(30)
    const t0 = performance.timeOrigin + performance.now()
    const c0 = nvml.totalEnergyMj(d)
    const prompts = ['rq0 a b c d e f g', 'rq1 a b c', 'rq2 a b c d e f g h i j k', 'rq3 a']
    const tokens = await Promise.all(prompts.map((p) => stream(server, p, 20)))
    await sleep(60) // past the last iteration and one counter update
    const t1 = performance.timeOrigin + performance.now()
    const c1 = nvml.totalEnergyMj(d)
    expect(tokens).toEqual([20, 20, 20, 20])
    const promptTokens = prompts.reduce((n, p) => n + p.split(' ').length, 0)
    // each request: its prompt in one prefill iteration (which also yields its first token), then 19 decodes
    const workJ = 0.5 * promptTokens + 2 * 19 * prompts.length
    const measuredJ = (c1 - c0) / 1000
    // the counter reads whole 10 ms updates: each end of [t0, t1] is off by at most one update at idle
    expect(Math.abs(measuredJ - (60 * (t1 - t0)) / 1000 - workJ)).toBeLessThan(2 * 60 * 0.01 + 0.01)
    // and the server's own record agrees with the physics
    expect(trueEnergyJ(server.segments[0], 60, t0, t1) - (60 * (t1 - t0)) / 1000).toBeCloseTo(workJ, 6)
    // every token the server sent was planned in an iteration before it was sent
    for (const r of server.requests) expect(r.sends.every((s, i) => s.ms >= r.tokenMs[i])).toBe(true)
  })
})

describe('instant power as drivers report it', () => {
  // a 25 ms burst at the start of every 100 ms period: 300 W, else 100 W; the epoch 10 s in the past so
  // a 1 s average already has a full second behind it
  const square = (instant: string) => {
    const epoch = Date.now() / 1000 - 10
    const bursts = Array.from({ length: 400 }, (_, k) => `power 0 ${(k * 0.1).toFixed(3)} ${(k * 0.1 + 0.025).toFixed(3)} 300`).join('\n')
    return `device uuid=GPU-sq name="Square" arch=9 period_ms=20 idle_w=100 instant=${instant}\nclock epoch=${epoch.toFixed(3)}\n${bursts}\n`
  }

  it('h100: the mean of the first 25 ms of each 100 ms period, so it sees only the bursts', () => {
    const nvml = open(square('h100'))
    const d = nvml.handleByIndex(0)
    for (let i = 0; i < 5; i++) expect(nvml.powerUsageMw(d)).toBe(300_000)
  })

  it('avg1s: the mean over the last second (the burst duty cycle: 0.25 x 300 + 0.75 x 100 W)', () => {
    const nvml = open(square('avg1s'))
    const d = nvml.handleByIndex(0)
    // a 1 s window holds 10 periods, give or take part of one burst at its ends
    const w = nvml.powerUsageMw(d)! / 1000
    expect(w).toBeGreaterThan(150 - 5)
    expect(w).toBeLessThan(150 + 5)
  })

  it('exact: the power at the moment of the read', async () => {
    const nvml = open(square('exact'))
    const d = nvml.handleByIndex(0)
    const seen = new Set<number>()
    for (let i = 0; i < 40; i++) {
      seen.add(nvml.powerUsageMw(d)! / 1000)
      await sleep(7)
    }
    expect([...seen].sort()).toEqual([100, 300])
  })
})
