/**
 * ML.ENERGY's per-request entries are written out by hand (requestJson) for speed; each must be the
 * bytes JSON.stringify writes for the same object, whatever the values: fractional seconds, nulls,
 * non-finite numbers (which JSON has no word for: null), and text needing escapes.
 */
import { describe, expect, it } from 'vitest'
import { type MlEnergyRequest, requestJson } from '../plugins/reporters/mlenergy.js'

const base: MlEnergyRequest = {
  prompt: 'Explain the sky.', output_text: null, input_len: 20, output_len: 3, ttft: 0.123456789,
  itl: [0.25, 0.002356322, 1e-7, 12345.678901234], latency: 9.000000001, energy: 0.1 + 0.2, success: true, error: '',
}

const cases: Array<[string, MlEnergyRequest]> = [
  ['fractional seconds and joules', base],
  ['a failed request: nulls, an error with quotes, a line break and a non-ASCII name', { ...base, ttft: null, itl: null, latency: null, energy: null, success: false, error: 'HTTP 500: "boom"\nat café \u0001' }],
  ['a prompt needing escapes, and no prompt', { ...base, prompt: 'tab\there "q" \\ back \u2028 lone \ud800' }],
  ['no prompt text kept', { ...base, prompt: null }],
  ['an empty ITL list', { ...base, itl: [] }],
  ['non-finite numbers, which JSON writes as null', { ...base, ttft: Number.NaN, energy: Number.POSITIVE_INFINITY, itl: [0.5, Number.NaN, -0] }],
  ['negative zero and large values', { ...base, latency: -0, energy: 1e21, itl: [-0.5, 5e-324] }],
]

describe('requestJson writes what JSON.stringify writes', () => {
  for (const [name, q] of cases) it(name, () => expect(requestJson(q)).toBe(JSON.stringify(q)))

  it('keeps ML.ENERGY\'s field order', () => {
    expect(Object.keys(JSON.parse(requestJson(base)))).toEqual(['prompt', 'output_text', 'input_len', 'output_len', 'ttft', 'itl', 'latency', 'energy', 'success', 'error'])
  })
})
