/**
 * dataset.synthetic.prefix: prompts made of one of `count` shared prefixes plus a unique suffix. The
 * lengths are counted by the test's own tokenizer (one token per character, plus a BOS it adds to
 * every text, as a llama tokenizer does), and the shared bytes are compared directly: prompts of one
 * prefix begin with the same prefix.tokens tokens, prompts of different prefixes do not.
 */
import { describe, expect, it } from 'vitest'
import { loadDataset } from '../core/workload/dataset.js'
import { makeProject, runCli } from './fixtures/project.js'

const BOS = 1
/** one token per character; tokenize adds the BOS the server would, detokenize never writes it */
const charTokenizer = {
  tokenize: (text: string) => [BOS, ...[...text].map((c) => c.codePointAt(0)! + 2)],
  detokenize: (tokens: number[]) => tokens.filter((t) => t !== BOS).map((t) => String.fromCodePoint(t - 2)).join(''),
}
const count = (text: string) => charTokenizer.tokenize(text).length
const baseDir = process.cwd()

describe('shared-prefix synthetic prompts', () => {
  it('each prompt is one of count prefixes (exact length) plus a unique suffix (exact length), round robin', async () => {
    const prompts = await loadDataset({ synthetic: { prefix: { count: 3, tokens: 40 }, suffixTokens: { dist: 'uniform', min: 5, max: 20 }, n: 9 }, seed: 7 }, { baseDir, tokenizer: charTokenizer })
    expect(prompts.map((p) => p.prefixId)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2])
    // the prefix's text: what the prompts of one id have in common, cut at its own length (40 tokens, BOS included: 39 characters)
    const prefixText = (id: number) => prompts.find((p) => p.prefixId === id)!.text.slice(0, 39)
    for (const p of prompts) {
      expect(p.text.startsWith(prefixText(p.prefixId!))).toBe(true)
      expect(count(prefixText(p.prefixId!))).toBe(40)
      const suffix = count(p.text) - 40
      expect(suffix).toBeGreaterThanOrEqual(5)
      expect(suffix).toBeLessThanOrEqual(20)
    }
    // the three prefixes differ, and every prompt is distinct
    expect(new Set([0, 1, 2].map(prefixText)).size).toBe(3)
    expect(new Set(prompts.map((p) => p.text)).size).toBe(9)
    // the suffix lengths were drawn, not all the same
    expect(new Set(prompts.map((p) => count(p.text))).size).toBeGreaterThan(1)
  })

  it('count 1: every prompt shares the prefix; count = n: no two prompts share one', async () => {
    const one = await loadDataset({ synthetic: { prefix: { count: 1, tokens: 30 }, suffixTokens: 10, n: 6 } }, { baseDir, tokenizer: charTokenizer })
    const shared = one[0].text.slice(0, 29)
    expect(one.every((p) => p.text.startsWith(shared) && count(p.text) === 40 && p.prefixId === 0)).toBe(true)
    const unique = await loadDataset({ synthetic: { prefix: { count: 6, tokens: 30 }, suffixTokens: 10, n: 6 } }, { baseDir, tokenizer: charTokenizer })
    expect(new Set(unique.map((p) => p.text.slice(0, 29))).size).toBe(6)
    expect(unique.every((p) => count(p.text) === 40)).toBe(true)
  })

  it('seeded: the same seed gives the same prompts, another seed other ones', async () => {
    const opts = (seed: number) => ({ synthetic: { prefix: { count: 2, tokens: 25 }, suffixTokens: 8, n: 4 }, seed })
    const a = await loadDataset(opts(3), { baseDir, tokenizer: charTokenizer })
    const b = await loadDataset(opts(3), { baseDir, tokenizer: charTokenizer })
    const c = await loadDataset(opts(4), { baseDir, tokenizer: charTokenizer })
    expect(b.map((p) => p.text)).toEqual(a.map((p) => p.text))
    expect(c.map((p) => p.text)).not.toEqual(a.map((p) => p.text))
  })

  it('one way to give the length: inputTokens, or prefix with suffixTokens', async () => {
    const fail = (synthetic: Record<string, unknown>) => loadDataset({ synthetic } as never, { baseDir, tokenizer: charTokenizer }).then(() => null, (e) => e)
    const noSuffix = await fail({ prefix: { count: 2, tokens: 10 } })
    expect([noSuffix.code, noSuffix.exitCode]).toEqual(['DATASET_INVALID', 2])
    expect(noSuffix.message).toMatch(/^dataset\.synthetic\.suffixTokens: prefix needs suffixTokens/)
    expect((await fail({ prefix: { count: 2, tokens: 10 }, inputTokens: 20 })).message).toMatch(/^dataset\.synthetic\.inputTokens: with prefix, give suffixTokens/)
    expect((await fail({ suffixTokens: 20 })).message).toMatch(/^dataset\.synthetic\.suffixTokens: suffixTokens goes with prefix/)
    expect((await fail({ prefix: { count: 0, tokens: 10 }, suffixTokens: 5 })).message).toMatch(/^dataset\.synthetic\.prefix\.count: /)
  })
})

describe('the CLI refuses a prefix without its suffix length', () => {
  it('exit 2, naming the option', async () => {
    const dir = makeProject({
      'benchmarks/p.bench.ts': `import { bench } from 'llem'\nbench('pfx', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { synthetic: { prefix: { count: 2, tokens: 64 } } } })\n`,
    })
    const r = await runCli(dir, ['bench', '--dry-run'])
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.stderr).toContain('dataset.synthetic.suffixTokens: prefix needs suffixTokens')
  })
})
