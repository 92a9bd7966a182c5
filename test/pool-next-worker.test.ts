/**
 * The pool starts each experiment's process ahead (core/run/pool.ts), but never while the slot's
 * experiment measures: once at the start, then when the running experiment says `measured` (or ends).
 * tinypool is replaced by a fake that counts processes; the session's `onMeasured` hook is checked on
 * a scripted backend: once, after the last measured request, also when the session fails.
 */
import { EventEmitter } from 'node:events'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { scriptedConfig } from './fixtures/scripted-config.js'
import type { SessionTask } from '../core/measure/result-shell.js'
import { runSession } from '../core/measure/session.js'
import type { Experiment } from '../core/plan/plan.js'

const fake = vi.hoisted(() => ({ started: 0, destroyed: 0, pools: [] as unknown[] }))

vi.mock('tinypool', async () => ({ default: (await import('./fixtures/fake-tinypool.js')).fakeTinypool(fake) }))

vi.mock('../core/plugins/builtins.js', async () => {
  const { scriptedSession } = await import('./fixtures/scripted-session.js')
  return {
    builtinBackends: {
      scripted: async () => ({ name: 'scripted', options: z.object({}), start: async () => scriptedSession({ gapMs: 2 }).session }),
      broken: async () => ({ name: 'broken', options: z.object({}), start: async () => Promise.reject(new Error('no model')) }),
    },
    builtinProbes: {},
    FALLBACK_PROBES: new Set<string>(),
  }
})

type Fake = EventEmitter & { reply: ((v: unknown) => void) | null; channel: { postMessage(m: unknown): void } | null }
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('SlotPool: the next process', () => {
  it('starts with the pool, then only once the running experiment has stopped measuring', async () => {
    const { SlotPool } = await import('../core/run/pool.js')
    fake.started = fake.destroyed = 0
    fake.pools.length = 0
    const pool = new SlotPool({ id: 'cpu0', env: {} })
    expect(fake.started).toBe(1)
    const measured = vi.fn()
    const running = pool.run({} as SessionTask, { signal: new AbortController().signal, onProgress: () => {}, onMeasured: measured })
    await tick()
    const first = fake.pools[0] as Fake
    // the experiment runs in the process started ahead; none other starts while it measures
    expect(fake.started).toBe(1)
    first.channel!.postMessage({ llem: 'progress', experimentId: 'x', phase: 'measure', done: 1, total: 2 })
    expect(fake.started).toBe(1)
    first.channel!.postMessage({ llem: 'measured', experimentId: 'x' })
    expect(measured).toHaveBeenCalledTimes(1)
    // execute.ts answers `measured` with prepareNext; asked twice, it starts one process
    pool.prepareNext()
    pool.prepareNext()
    expect(fake.started).toBe(2)
    first.reply!({ status: 'completed' })
    await running
    // the finished process is gone, the one started ahead is kept for the next experiment
    expect(fake.destroyed).toBe(1)
    expect(fake.started).toBe(2)
    await pool.destroy()
    expect(fake.destroyed).toBe(2)
    pool.prepareNext()
    expect(fake.started).toBe(2)
  })

  it('starts the next process when an experiment ends without saying measured (it failed)', async () => {
    const { SlotPool } = await import('../core/run/pool.js')
    fake.started = 0
    fake.pools.length = 0
    const pool = new SlotPool({ id: 'cpu0', env: {} })
    const running = pool.run({} as SessionTask, { signal: new AbortController().signal, onProgress: () => {} })
    await tick()
    ;(fake.pools[0] as Fake).reply!({ status: 'failed' })
    await running
    expect(fake.started).toBe(2)
    await pool.destroy()
  })

  it('a data-parallel process that ends early starts no process while its siblings may still measure (deferNext)', async () => {
    const { SlotPool } = await import('../core/run/pool.js')
    fake.started = 0
    fake.pools.length = 0
    const pool = new SlotPool({ id: 'GPU-a', env: {} })
    const running = pool.run({} as SessionTask, { signal: new AbortController().signal, onProgress: () => {}, deferNext: true })
    await tick()
    ;(fake.pools[0] as Fake).reply!({ status: 'failed' })
    await running
    // only the process it ran in: execute.ts starts the next once every sibling has measured or ended
    expect(fake.started).toBe(1)
    pool.prepareNext()
    expect(fake.started).toBe(2)
    await pool.destroy()
  })

  it('gives the task a new process when the one started ahead died while it waited', async () => {
    const { SlotPool } = await import('../core/run/pool.js')
    fake.pools.length = 0
    const pool = new SlotPool({ id: 'cpu0', env: {} })
    ;(fake.pools[0] as Fake).emit('error', new Error('Worker exited unexpectedly'))
    const running = pool.run({} as SessionTask, { signal: new AbortController().signal, onProgress: () => {} })
    await tick()
    expect((fake.pools[0] as Fake).channel).toBeNull()
    ;(fake.pools[1] as Fake).reply!({ status: 'completed' })
    await expect(running).resolves.toEqual({ status: 'completed' })
    await pool.destroy()
  })

  it('fails the task when its process dies before taking it (worker.js did not load), instead of waiting forever', async () => {
    const { SlotPool } = await import('../core/run/pool.js')
    fake.pools.length = 0
    const pool = new SlotPool({ id: 'cpu0', env: {} })
    const running = pool.run({} as SessionTask, { signal: new AbortController().signal, onProgress: () => {} })
    ;(fake.pools[0] as Fake).emit('error', new Error('Worker exited unexpectedly'))
    await expect(running).rejects.toThrow('Worker exited unexpectedly')
    await pool.destroy()
  })
})

function task(backend: string): SessionTask {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'llem-measured-'))
  const config = scriptedConfig(backend)
  const experiment = {
    id: 'exp-1', name: 'measured', bench: { file: 'x.bench.ts', name: 'b', full_name: 'b', location: 'x.bench.ts:1' }, task_hash: 'h', repeat_index: 0, repeat_count: 1,
    sweep_point: {}, config, provenance: {}, cli_overrides: {}, config_warnings: [], mode: 'run',
  } as Experiment
  return { runId: 'r', runDir, rootDir: runDir, cacheDir: runDir, llemVersion: 'test', experiment, processIndex: 0, numProcesses: 1 }
}

describe('runSession: onMeasured', () => {
  it('is called once, after the last measured request', async () => {
    const events: string[] = []
    const result = await runSession(task('scripted'), { onProgress: (phase, done, total) => events.push(`${phase} ${done}/${total}`), onMeasured: () => events.push('measured') })
    expect(result.status).toBe('completed')
    expect(events.filter((e) => e === 'measured')).toHaveLength(1)
    expect(events.indexOf('measured')).toBeGreaterThan(events.indexOf('measure 3/3'))
  })

  it('is called once when the session fails before its window', async () => {
    const onMeasured = vi.fn()
    const result = await runSession(task('broken'), { onMeasured })
    expect(result.status).toBe('failed')
    expect(onMeasured).toHaveBeenCalledTimes(1)
  })
})
