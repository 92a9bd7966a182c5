/**
 * An experiment's task_hash is the first 16 hex digits of the SHA-256 of its config as canonical JSON
 * (keys sorted at every level, undefined left out) without the plan's own keys (sweep, sweepMode,
 * repeat): stored results are matched by it across llem versions. The expected hashes here are made
 * by the test from that definition, for configs met in an order that changes key order and key set
 * from one call to the next (the hash reuses the sorted keys of the previous config when they match).
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { taskHash } from '../core/plan/task-hash.js'

function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) if ((v as Record<string, unknown>)[k] !== undefined) out[k] = sortedDeep((v as Record<string, unknown>)[k])
    return out
  }
  return v
}

function expected(config: Record<string, unknown>): string {
  const { sweep: _s, sweepMode: _m, repeat: _r, ...rest } = config
  return createHash('sha256').update(JSON.stringify(sortedDeep(rest))).digest('hex').slice(0, 16)
}

describe('task_hash', () => {
  it('is the SHA-256 of the canonical config without plan keys, whatever the order configs come in', () => {
    const a = { backend: 'llama-cpp', load: { seed: 3, concurrency: 2 }, generation: { maxTokens: 8, temperature: 0 }, repeat: 3, sweep: { 'load.seed': [1, 2, 3] } }
    const sameKeysOtherOrder = { generation: { temperature: 0, maxTokens: 8 }, repeat: 1, load: { concurrency: 2, seed: 3 }, backend: 'llama-cpp', sweep: {} }
    const otherKeys = { backend: 'openai', model: { name: 'm' }, load: { seed: 3 }, extra: undefined }
    const fewer = { backend: 'llama-cpp', load: { seed: 4 } }
    // as many keys as `a`, not the same ones
    const sameCountOtherKeys = { zeta: 1, backend: 'llama-cpp', alpha: { b: 1, a: 2 }, load: { seed: 3 }, dataset: { prompts: ['Hi'] } }
    const sequence = [a, a, sameKeysOtherOrder, sameCountOtherKeys, a, otherKeys, a, fewer, otherKeys, sameKeysOtherOrder, fewer, sameCountOtherKeys, a]
    for (const config of sequence) expect(taskHash(config as Record<string, unknown>)).toBe(expected(config as Record<string, unknown>))
    // what runs decides the hash, not the plan keys nor key order
    expect(taskHash(a)).toBe(taskHash(sameKeysOtherOrder))
    expect(taskHash(a)).not.toBe(taskHash(fewer))
  })
})
