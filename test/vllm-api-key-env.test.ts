/**
 * Issue 14, item 5: an API key given to vLLM as `--api-key` (in extraArgs) is visible to every user of
 * the machine in `ps` and /proc/<pid>/cmdline. llem moves it to VLLM_API_KEY, which vLLM reads in its
 * place. The engine here is a script that records the command line and environment it was started with.
 */
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { secretFlagsToEnv } from '../plugins/backends/managed/common.js'
import { vllmBackend, vllmOptionsSchema } from '../plugins/backends/vllm/index.js'

describe('a vLLM API key', () => {
  it('moves from the command line to the environment', () => {
    expect(secretFlagsToEnv(['vllm', 'serve', 'm', '--api-key', 'sk-1', '--port', '1'], { '--api-key': 'VLLM_API_KEY' })).toEqual({ argv: ['vllm', 'serve', 'm', '--port', '1'], env: { VLLM_API_KEY: 'sk-1' } })
    expect(secretFlagsToEnv(['vllm', '--api-key=sk-2', '--api-keys', 'x'], { '--api-key': 'VLLM_API_KEY' })).toEqual({ argv: ['vllm', '--api-keys', 'x'], env: { VLLM_API_KEY: 'sk-2' } })
  })

  it('never reaches the engine process command line (what ps shows)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-vllm-key-'))
    const record = path.join(dir, 'started.json')
    const engine = path.join(dir, 'vllm')
    writeFileSync(engine, `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), key: process.env.VLLM_API_KEY ?? null }))\nprocess.exit(3)\n`)
    chmodSync(engine, 0o755)
    const options = vllmOptionsSchema.parse({ executable: engine, extraArgs: ['--max-num-seqs', '2', '--api-key', 'sk-planted-key-5'], startupTimeoutMs: 5000 })
    const logs: string[] = []
    const ctx = { options, model: 'm', generation: { seed: 0 }, concurrency: 1, cacheDir: dir, baseDir: dir, log: (l: string) => logs.push(l) }
    // the engine exits at once: start fails, after the command line was recorded
    await expect(vllmBackend.start(ctx as never)).rejects.toThrow(/exited/)
    const started = JSON.parse(readFileSync(record, 'utf8'))
    expect(started.key).toBe('sk-planted-key-5')
    expect(started.argv).toContain('--max-num-seqs')
    expect(started.argv.join(' ')).not.toContain('sk-planted-key-5')
    expect(started.argv).not.toContain('--api-key')
  })
})
