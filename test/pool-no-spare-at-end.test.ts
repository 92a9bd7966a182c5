/**
 * A process is started ahead for the next experiment only while another may still come to the slot
 * (core/run/execute.ts): the run's last experiment does not start one at its end only for it to be
 * killed (a process start on a machine busy with that experiment's tail, and a second process where
 * the run had one experiment). A series member may still have a next step, made when it ends: then a
 * process is started ahead. tinypool is replaced by a fake that counts the processes started.
 */
import { describe, expect, it, vi } from 'vitest'
import type { SessionTask } from '../core/measure/result-shell.js'
import type { Experiment } from '../core/plan/plan.js'
import type { RawProcessResult } from '../core/results/schema.js'

const fake = vi.hoisted(() => ({ started: 0, destroyed: 0, pools: [] as Array<{ channel: { postMessage(m: unknown): void } | null; reply: ((v: unknown) => void) | null }> }))

vi.mock('tinypool', async () => ({ default: (await import('./fixtures/fake-tinypool.js')).fakeTinypool(fake) }))

const tick = () => new Promise((r) => setTimeout(r, 5))

function experiment(id: string, series = false): Experiment {
  return { id, name: id, config: { parallel: { data: 1 }, timeout: 60_000, gpus: null }, ...(series ? { series: { kind: 'sweep', group: 'g' } } : {}) } as unknown as Experiment
}

/** Runs `queue`, each experiment saying `measured` and then ending; `follow` adds what comes after one. */
async function run(queue: Experiment[], follow: (x: Experiment) => Experiment[] = () => []): Promise<{ started: number; ran: string[] }> {
  const { executeExperiments } = await import('../core/run/execute.js')
  fake.started = 0
  fake.pools.length = 0
  const ran: string[] = []
  const done = executeExperiments(queue, {
    slots: [],
    maxParallel: 1,
    bail: 0,
    interrupt: new AbortController().signal,
    task: (x) => ({ experiment: x }) as unknown as SessionTask,
    onStart: async (x) => void ran.push(x.id),
    onProgress: () => {},
    onEnd: async () => 'completed',
    onNotRun: async () => {},
    follow,
  })
  // drive each experiment's process: the one that has a task says measured, then replies
  for (let handled = 0; ; ) {
    await tick()
    const busy = fake.pools.filter((p) => p.channel && p.reply)
    if (busy.length === 0) {
      if (await Promise.race([done.then(() => true), tick().then(() => false)])) break
      continue
    }
    for (const p of busy) {
      p.channel!.postMessage({ llem: 'measured', experimentId: 'x' })
      await tick()
      const reply = p.reply!
      p.reply = null
      reply({ status: 'completed' } as RawProcessResult)
      handled++
    }
    if (handled > 10) throw new Error('ran away')
  }
  await done
  return { started: fake.started, ran }
}

describe('the process started ahead', () => {
  it('is not started at the end of the last experiment: one process per experiment', async () => {
    expect(await run([experiment('a')])).toEqual({ started: 1, ran: ['a'] })
    expect(await run([experiment('a'), experiment('b'), experiment('c')])).toEqual({ started: 3, ran: ['a', 'b', 'c'] })
  })

  it('is started while a series member runs, whose next step is made when it ends', async () => {
    const steps = [experiment('s1', true), experiment('s2', true)]
    const r = await run([steps[0]], (x) => (x.id === 's1' ? [steps[1]] : []))
    expect(r.ran).toEqual(['s1', 's2'])
    // s1's process, s2's started ahead at s1's `measured` (the queue was empty then), and one at s2's
    // `measured`: a member may have a next step until it ends
    expect(r.started).toBe(3)
  })
})
