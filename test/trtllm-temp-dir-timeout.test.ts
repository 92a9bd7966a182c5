/**
 * The trtllm backend writes its extra LLM API options into a temp dir (llem-trtllm-*). An experiment
 * that hits its timeout has its worker killed before the backend's close() runs, and the dir used to
 * stay behind, one per timed-out experiment. The server's supervisor now removes it once the server
 * is gone, whichever way the worker ended. TMPDIR is private to this test, so every dir is this run's.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { engineEnv, runResults } from './fixtures/engines.js'
import { llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, runCli } from './fixtures/project.js'

let env: () => Record<string, string>
beforeAll(async () => {
  const bin = llamaServerPath()
  const model = await tinyModelPath()
  env = () => engineEnv(bin, model)
}, 1_800_000)

describe('a trtllm experiment that times out', () => {
  it('leaves no llem-trtllm-* temp dir behind', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'llem-tmpdir-'))
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 } }, generation: { maxTokens: 16 } }\n`,
      'benchmarks/t.bench.ts': `import { bench } from 'llem'\nbench('slow', { backend: { name: 'trtllm' }, model: process.env.TINY_MODEL, dataset: { prompts: ['Hello'] }, load: { requests: 100000 }, timeout: 3000 })\n`,
    })
    const r = await runCli(dir, ['bench'], { ...env(), TMPDIR: tmp })
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const [agg] = runResults(dir)
    expect(agg.status).toBe('failed')
    expect(agg.error.code).toBe('TIMEOUT')
    // the supervisor removes it right after the server exits (SIGTERM, at most the 5 s grace)
    for (let i = 0; i < 80 && readdirSync(tmp).some((f) => f.startsWith('llem-trtllm-')); i++) await new Promise((res) => setTimeout(res, 100))
    expect(readdirSync(tmp).filter((f) => f.startsWith('llem-trtllm-'))).toEqual([])
    expect(existsSync(tmp)).toBe(true)
  }, 60_000)
})
