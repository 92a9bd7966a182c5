/**
 * The fast chunk scanner (plugins/backends/openai/chunk-scan.ts) must agree with JSON.parse on every
 * input it answers: the differential fuzzer in benchmarks/perf runs here with fewer iterations, plus
 * the real vLLM and llama.cpp chunks it must answer itself.
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from './fixtures/project.js'

describe('chunk scanner vs JSON.parse', () => {
  it('20,000 mutated chunks and the real ones: no mismatch', () => {
    const out = execFileSync(process.execPath, [path.join(REPO, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs'), path.join(REPO, 'benchmarks', 'perf', 'sse-scan-fuzz.ts'), '20000'], { encoding: 'utf8' })
    expect(out).toMatch(/0 mismatches/)
  })
})
