// The messages a worker sends the pool (core/run/worker-messages.ts): progress, and the process groups
// a backend starts (spawned) and stops (reaped). The pool acts only on messages the guard accepts: a
// spawned pid it would later kill(-pid) must be a real one, never 0, 1 or -1.
import { describe, expect, it } from 'vitest'
import { isWorkerMessage } from '../core/run/worker-messages.js'

describe('isWorkerMessage', () => {
  it('accepts the messages llem sends', () => {
    expect(isWorkerMessage({ llem: 'progress', experimentId: 'a-1', phase: 'measure', done: 3, total: 10 })).toBe(true)
    expect(isWorkerMessage({ llem: 'progress', experimentId: 'a-1', phase: 'model_load', done: 0, total: null })).toBe(true)
    expect(isWorkerMessage({ llem: 'spawned', pid: 4242 })).toBe(true)
    expect(isWorkerMessage({ llem: 'reaped', pid: 4242 })).toBe(true)
  })
  it('rejects a spawned pid that would signal every process or init', () => {
    for (const pid of [-1, 0, 1, 2.5, '4242', undefined]) expect(isWorkerMessage({ llem: 'spawned', pid })).toBe(false)
  })
  it('rejects malformed progress', () => {
    expect(isWorkerMessage({ llem: 'progress', experimentId: 'a-1', phase: 'dataset', done: 1, total: 2 })).toBe(false)
    expect(isWorkerMessage({ llem: 'progress', phase: 'measure', done: 1, total: 2 })).toBe(false)
    expect(isWorkerMessage({ llem: 'progress', experimentId: 'a-1', phase: 'measure', done: -1, total: 2 })).toBe(false)
    expect(isWorkerMessage({ llem: 'progress', experimentId: 'a-1', phase: 'measure', done: 1 })).toBe(false)
  })
  it('rejects what is not llem’s', () => {
    for (const m of [null, undefined, 'progress', 42, {}, { t: 'spawned', pid: 4242 }, { llem: 'hello', pid: 4242 }, { llem: 'reaped' }]) expect(isWorkerMessage(m)).toBe(false)
  })
})
