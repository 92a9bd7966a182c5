/**
 * Issue 14, item 5: an API key given to an engine as `--api-key` (vllm's extraArgs, a `server` command
 * template starting llama-server or vllm) is visible to every user of the machine in `ps` and
 * /proc/<pid>/cmdline. llem moves it to the variable the engine reads in its place (VLLM_API_KEY,
 * LLAMA_API_KEY). Each engine here is a script that records the command line and environment it got.
 */
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { secretFlagsToEnv } from '../plugins/backends/managed/common.js'
import { serverBackend, serverOptionsSchema } from '../plugins/backends/server/index.js'
import { vllmBackend, vllmOptionsSchema } from '../plugins/backends/vllm/index.js'

/** an executable named `name` that records its argv and the variable `keyVar`, then exits */
function recordingEngine(name: string, keyVar: string): { engine: string; record: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-engine-key-'))
  const record = path.join(dir, 'started.json')
  const engine = path.join(dir, name)
  writeFileSync(engine, `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), key: process.env.${keyVar} ?? null }))\nprocess.exit(3)\n`)
  chmodSync(engine, 0o755)
  return { engine, record, dir }
}

describe('an engine API key', () => {
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

  it('a server command template starting llama-server: --api-key goes to LLAMA_API_KEY', async () => {
    const { engine, record, dir } = recordingEngine('llama-server', 'LLAMA_API_KEY')
    const options = serverOptionsSchema.parse({ command: [engine, '-m', '{model}', '--port', '{port}', '--api-key', 'sk-planted-key-6'], startupTimeoutMs: 5000 })
    const ctx = { options, model: 'm', generation: { seed: 0 }, concurrency: 1, cacheDir: dir, baseDir: dir, log: () => {} }
    await expect(serverBackend.start(ctx as never)).rejects.toThrow(/exited/)
    const started = JSON.parse(readFileSync(record, 'utf8'))
    expect(started.key).toBe('sk-planted-key-6')
    expect(started.argv.join(' ')).not.toContain('sk-planted-key-6')
    expect(started.argv).toContain('-m')
  })

  it('an engine llem does not know gets its command line as written', async () => {
    const { engine, record, dir } = recordingEngine('my-engine', 'LLAMA_API_KEY')
    const options = serverOptionsSchema.parse({ command: [engine, '--api-key', 'k-unknown-7'], startupTimeoutMs: 5000 })
    const ctx = { options, model: 'm', generation: { seed: 0 }, concurrency: 1, cacheDir: dir, baseDir: dir, log: () => {} }
    await expect(serverBackend.start(ctx as never)).rejects.toThrow(/exited/)
    expect(JSON.parse(readFileSync(record, 'utf8')).argv).toEqual(['--api-key', 'k-unknown-7'])
  })
})
