/**
 * Length distributions: 2000 synthetic prompts (or output lengths) drawn from each spec, their lengths
 * measured with the tokenizer that counts them, against the spec's analytic mean, stdev, min and max.
 * Tolerances are 4 standard errors of each estimate for n = 2000 (stated per check), so a seeded run
 * that passes is not luck, and a wrong parameterisation (a lognormal's mu and sigma taken for the
 * length's mean and stdev, a uniform that leaves out max) is far outside them.
 */
import { describe, expect, it } from 'vitest'
import { loadDataset, type DatasetTokenizer } from '../core/workload/dataset.js'
import { datasetOptionsSchema } from '../core/workload/dataset-schema.js'

const N = 2000
const baseDir = '/nonexistent'

/** one token per space-separated word: the truth the prompt lengths are counted in */
const countWords = (text: string) => text.split(' ').filter(Boolean).length
// detokenize must give back text: keep a vocabulary so ids map back to words
function vocabTokenizer(): DatasetTokenizer {
  const ids = new Map<string, number>()
  const list: string[] = []
  return {
    tokenize: (text) => text.split(' ').filter(Boolean).map((w) => (ids.has(w) ? ids.get(w)! : (ids.set(w, list.length), list.push(w), list.length - 1))),
    detokenize: (tokens) => tokens.map((t) => list[t]).join(' '),
  }
}

function stats(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1))
  const sorted = [...xs].sort((a, b) => a - b)
  return { mean, std, min: sorted[0], max: sorted[sorted.length - 1], median: (sorted[xs.length / 2 - 1] + sorted[xs.length / 2]) / 2 }
}

async function inputLengths(inputTokens: unknown, seed = 1): Promise<number[]> {
  const prompts = await loadDataset({ synthetic: { inputTokens: inputTokens as number, n: N }, seed }, { baseDir, tokenizer: vocabTokenizer() })
  return prompts.map((p) => countWords(p.text))
}

async function outputLengths(outputTokens: unknown, seed = 1): Promise<number[]> {
  const prompts = await loadDataset({ prompts: Array.from({ length: N }, (_, i) => `p${i}`), outputTokens: outputTokens as number, seed }, { baseDir })
  return prompts.map((p) => p.maxTokens!)
}

describe('input lengths of synthetic prompts, counted by the tokenizer', () => {
  it('fixed: every prompt has exactly the length', async () => {
    const s = stats(await inputLengths({ dist: 'fixed', value: 37 }))
    expect([s.min, s.max]).toEqual([37, 37])
  })

  it('uniform(10, 50): both ends included, mean 30, stdev sqrt((41^2 - 1) / 12)', async () => {
    const s = stats(await inputLengths({ dist: 'uniform', min: 10, max: 50 }))
    const sd = Math.sqrt((41 ** 2 - 1) / 12)
    expect([s.min, s.max]).toEqual([10, 50])
    expect(Math.abs(s.mean - 30)).toBeLessThan((4 * sd) / Math.sqrt(N)) // 4 SE of the mean: 1.06
    expect(Math.abs(s.std - sd)).toBeLessThan(4 * sd * Math.sqrt(0.8 / (4 * N))) // uniform kurtosis 1.8: SE of sd = sd sqrt((k-1)/4n)
  })

  it('normal(200, 40): mean and stdev within 4 SE, nothing below 1', async () => {
    const s = stats(await inputLengths({ dist: 'normal', mean: 200, stdev: 40 }))
    expect(Math.abs(s.mean - 200)).toBeLessThan((4 * 40) / Math.sqrt(N)) // 3.6
    expect(Math.abs(s.std - 40)).toBeLessThan((4 * 40) / Math.sqrt(2 * N)) // 2.5
    expect(s.min).toBeGreaterThanOrEqual(1)
  })

  it('lognormal(mean 100, stdev 50): the length itself has that mean and stdev; median exp(mu)', async () => {
    const s = stats(await inputLengths({ dist: 'lognormal', mean: 100, stdev: 50 }))
    const sigma2 = Math.log(1 + 0.25)
    const kurtosis = Math.exp(4 * sigma2) + 2 * Math.exp(3 * sigma2) + 3 * Math.exp(2 * sigma2) - 3
    expect(Math.abs(s.mean - 100)).toBeLessThan((4 * 50) / Math.sqrt(N)) // 4.5
    expect(Math.abs(s.std - 50)).toBeLessThan(4 * 50 * Math.sqrt((kurtosis - 1) / (4 * N))) // 5.9
    const median = 100 / Math.sqrt(1.25)
    const densityAtMedian = 1 / (median * Math.sqrt(sigma2) * Math.sqrt(2 * Math.PI))
    expect(Math.abs(s.median - median)).toBeLessThan(4 / (2 * densityAtMedian * Math.sqrt(N))) // 4.7
    expect(s.min).toBeGreaterThanOrEqual(1)
  })
})

describe('output lengths drawn per prompt', () => {
  it('normal(20, 30) clipped to 5..40: bounds held, and the share at 5 is P(x < 5.5)', async () => {
    const xs = await outputLengths({ dist: 'normal', mean: 20, stdev: 30, min: 5, max: 40 })
    const s = stats(xs)
    expect([s.min, s.max]).toEqual([5, 40])
    // x rounds to 5 or below when x < 5.5: Phi((5.5 - 20) / 30) = Phi(-0.4833) = 0.3144
    const p = 0.3144
    expect(Math.abs(xs.filter((x) => x === 5).length - N * p)).toBeLessThan(4 * Math.sqrt(N * p * (1 - p))) // 83
  })

  it('a plain number is the same length for every request', async () => {
    expect(new Set(await outputLengths(24))).toEqual(new Set([24]))
  })

  it('seeded: the same seed gives the same lengths, another seed others; input and output draws are independent streams', async () => {
    const a = await outputLengths({ dist: 'uniform', min: 1, max: 1000 }, 5)
    expect(await outputLengths({ dist: 'uniform', min: 1, max: 1000 }, 5)).toEqual(a)
    expect(await outputLengths({ dist: 'uniform', min: 1, max: 1000 }, 6)).not.toEqual(a)
    const both = await loadDataset({ synthetic: { inputTokens: { dist: 'uniform', min: 1, max: 1000 }, n: 50 }, outputTokens: { dist: 'uniform', min: 1, max: 1000 }, seed: 5 }, { baseDir, tokenizer: vocabTokenizer() })
    expect(both.map((p) => p.maxTokens)).toEqual(a.slice(0, 50))
    expect(both.map((p) => countWords(p.text))).not.toEqual(a.slice(0, 50))
  })

  it('a prompt keeps its drawn length whatever shuffle and n select', async () => {
    const all = await loadDataset({ prompts: Array.from({ length: 40 }, (_, i) => `p${i}`), outputTokens: { dist: 'uniform', min: 1, max: 500 }, seed: 3 }, { baseDir })
    const some = await loadDataset({ prompts: Array.from({ length: 40 }, (_, i) => `p${i}`), outputTokens: { dist: 'uniform', min: 1, max: 500 }, seed: 3, shuffle: true, n: 10 }, { baseDir })
    for (const p of some) expect(p.maxTokens).toBe(all[p.id].maxTokens)
  })
})

describe('length spec errors name the key', () => {
  const issue = (outputTokens: unknown) => {
    const r = datasetOptionsSchema.safeParse({ prompts: ['a'], outputTokens })
    expect(r.success).toBe(false)
    return JSON.stringify(r.error!.issues)
  }
  it('a missing parameter, one that does not apply, max below min, a bad name', () => {
    expect(issue({ dist: 'normal', mean: 10 })).toContain('a normal length distribution needs stdev')
    expect(issue({ dist: 'uniform', min: 1, max: 4, mean: 2 })).toContain('mean does not apply to a uniform length distribution')
    expect(issue({ dist: 'uniform', min: 9, max: 4 })).toContain('max (4) is below min (9)')
    expect(issue({ dist: 'zipf', value: 3 })).toContain('dist')
    expect(issue(0)).toContain('outputTokens')
  })
})
