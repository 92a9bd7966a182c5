/**
 * The embedded llama.cpp backend states topK and topP whenever it samples: node-llama-cpp fills an
 * option left out with its own default (read here from its source: topK 40, topP 0.95), which would
 * sample with truncation while the result says topK 0 and topP 1. Greedy decoding sets neither.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { llamaSampling } from '../plugins/backends/llama-cpp/index.js'

describe('node-llama-cpp sampling options', () => {
  it('node-llama-cpp itself defaults to truncating: what an option left out would mean', () => {
    // the package's entry is dist/index.js; its exports map hides package.json
    const dist = path.dirname(createRequire(import.meta.url).resolve('node-llama-cpp'))
    const source = readFileSync(path.join(dist, 'evaluator', 'LlamaContext', 'LlamaContext.js'), 'utf8')
    expect(source).toMatch(/topK = 40, topP = 0\.95/)
  })

  it('when sampling, topK 0 and topP 1 (off) are stated, and set values pass through', () => {
    expect(llamaSampling({ temperature: 0.8, topK: 0, topP: 1, seed: 3 })).toEqual({ temperature: 0.8, seed: 3, topK: 0, topP: 1 })
    expect(llamaSampling({ temperature: 1, topK: 20, topP: 0.9, seed: 0 })).toEqual({ temperature: 1, seed: 0, topK: 20, topP: 0.9 })
  })

  it('greedy decoding sets only the temperature', () => {
    expect(llamaSampling({ temperature: 0, topK: 20, topP: 0.9, seed: 3 })).toEqual({ temperature: 0 })
  })
})
