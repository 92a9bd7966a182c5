/**
 * `llem compare` names what changed when it matches experiments by name only (their task hashes
 * differ): each differing setting with its old and new value, so a delta can be read as a regression
 * or as the effect of a changed setting.
 */
import { describe, expect, it } from 'vitest'
import { compareResults } from '../core/compare/compare.js'
import { configDiff } from '../core/compare/config-diff.js'
import { completedResult } from './fixtures/results.js'

describe('configuration differences', () => {
  it('lists each differing leaf as key: old -> new, sorted, with unset keys named', () => {
    const before = { load: { concurrency: 4, rate: null }, generation: { maxTokens: 128 }, dataset: { prompts: ['a', 'b'] } }
    const after = { load: { concurrency: 8, rate: null }, generation: { maxTokens: 128, temperature: 0.7 }, dataset: { prompts: ['a', 'c'] } }
    expect(configDiff(before, after)).toEqual(['dataset.prompts: ["a","b"] -> ["a","c"]', 'generation.temperature: (unset) -> 0.7', 'load.concurrency: 4 -> 8'])
    expect(configDiff(before, before)).toEqual([])
  })

  it('compare: a name-matched experiment says which settings changed', () => {
    const base = { ...completedResult, task_hash: 'aaaa1111aaaa1111', effective_config: { ...completedResult.effective_config, load: { concurrency: 4 } } }
    const cur = { ...completedResult, task_hash: 'bbbb2222bbbb2222', effective_config: { ...completedResult.effective_config, load: { concurrency: 8 } } }
    const out = compareResults([base], [cur], [])
    expect(out.experiments).toHaveLength(1)
    const w = out.experiments[0].warnings.find((x) => x.startsWith('matched by name'))
    expect(w).toBe('matched by name: the configuration changed (task_hash aaaa1111 -> bbbb2222): load.concurrency: 4 -> 8')
  })
})
