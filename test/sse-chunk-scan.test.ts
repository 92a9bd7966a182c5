/**
 * The fast chunk scanner (plugins/backends/openai/chunk-scan.ts) must agree with JSON.parse on every
 * input it answers: the differential fuzzer in benchmarks/perf runs here with fewer iterations, plus
 * the real vLLM and llama.cpp chunks it must answer itself.
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { scanChunk, type ChunkFields } from '../plugins/backends/openai/chunk-scan.js'
import { REPO } from './fixtures/project.js'

describe('chunk scanner vs JSON.parse', () => {
  it('20,000 mutated chunks and the real ones: no mismatch', () => {
    const out = execFileSync(process.execPath, [path.join(REPO, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs'), path.join(REPO, 'benchmarks', 'perf', 'sse-scan-fuzz.ts'), '20000'], { encoding: 'utf8' })
    expect(out).toMatch(/0 mismatches/)
  })
})

describe('where the content string lies: only when asked', () => {
  const chunk = '{"id":"c1","choices":[{"index":0,"delta":{"content":"say \\"hi\\""},"finish_reason":null}]}'
  const bytes = Buffer.from(`data: ${chunk}\n\n`)
  const start = 6
  const end = 6 + Buffer.byteLength(chunk)
  const blank = (): ChunkFields => ({ usage: false, promptTokens: NaN, completionTokens: NaN, content: false, finishLength: false, contentStart: -1, contentEnd: -1, contentEscaped: false })

  it('a scan that keeps no text (single turn) leaves the position fields as they were', () => {
    const f = blank()
    expect(scanChunk(bytes, start, end, true, f)).toBe(true)
    expect(f.content).toBe(true)
    expect([f.contentStart, f.contentEnd, f.contentEscaped]).toEqual([-1, -1, false])
  })

  it('a scan asked for them gives the string with its quotes and says it holds an escape', () => {
    const f = blank()
    expect(scanChunk(bytes, start, end, true, f, true)).toBe(true)
    const quoted = '"say \\"hi\\""'
    const at = bytes.indexOf(quoted)
    expect([f.contentStart, f.contentEnd, f.contentEscaped]).toEqual([at, at + quoted.length, true])
    expect(JSON.parse(bytes.toString('utf8', f.contentStart, f.contentEnd))).toBe('say "hi"')
  })
})
