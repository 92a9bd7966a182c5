/**
 * The ways the transformers worker fails outside bad input (which transformers-cli-e2e.test.ts runs
 * through the CLI), each one line with a cause and a hint: no interpreter, no torch, bitsandbytes
 * missing, random-model configs the backend refuses, the worker killed mid-run (real stack), a worker
 * that speaks another protocol or dies while starting (stand-in interpreters), and a CUDA out of memory,
 * which a CPU cannot produce: that one comes from the fault-injection stand-in. No process is left behind.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { isLlemError, type LlemError } from '../core/errors.js'
import type { TransformersOptions } from '../plugins/backends/transformers/index.js'
import { startStandIn } from './fixtures/fault-injection-transformers/start.js'
import { ENV_BUILD_TIMEOUT_MS, OFFLINE_ENV, pythonEnv, tinyModel } from './fixtures/python-envs.js'
import { startSession, waitGone } from './fixtures/transformers-session.js'

async function failure(p: Promise<unknown>): Promise<LlemError> {
  const e = await p.then(() => null, (x: unknown) => x)
  if (!isLlemError(e)) throw new Error(`expected a LlemError, got ${String(e)}`)
  return e
}
const oneLine = (e: LlemError) => expect(e.message).not.toContain('\n')

/** An executable standing in for the interpreter: it ignores the worker and runs this shell script. */
function fakeInterpreter(script: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-fake-python-')), 'python')
  writeFileSync(file, `#!/bin/sh\n${script}\n`)
  chmodSync(file, 0o755)
  return file
}

describe('transformers worker failures', () => {
  let tf5 = ''
  let model = ''
  beforeAll(() => {
    tf5 = pythonEnv('tf5')
    model = tinyModel(tf5)
  }, ENV_BUILD_TIMEOUT_MS)
  const real = (o: { options?: TransformersOptions; model?: Parameters<typeof startSession>[0]['model'] } = {}) =>
    startSession({ options: { python: tf5, ...o.options, env: { ...OFFLINE_ENV, ...o.options?.env } }, model: o.model ?? model })

  it('a missing interpreter', async () => {
    const e = await failure(real({ options: { python: '/nonexistent/bin/python3' } }))
    expect(e.code).toBe('BACKEND_FAILED')
    expect(e.message).toMatch(/^cannot start the Python interpreter "\/nonexistent\/bin\/python3": not found\. Hint: .*backend\.python/)
    oneLine(e)
  })

  it('an interpreter without torch: named, with how to install', async () => {
    // the machine's own python3 has no torch (checked here, so the test cannot pass for another reason)
    expect(() => execFileSync('python3', ['-c', 'import torch'], { stdio: 'ignore' })).toThrow()
    const e = await failure(real({ options: { python: 'python3' } }))
    expect(e.message).toMatch(/^python3 \(Python 3\.\d+\.\d+\) cannot import torch \(No module named 'torch'\).*Hint: "python3 -m pip install torch 'transformers>=4\.36'"/)
    expect(e.message).toContain('apt install python3-torch')
    oneLine(e)
  })

  it('quantization without bitsandbytes', async () => {
    const e = await failure(real({ options: { quantization: '4bit' } }))
    expect(e.message).toMatch(/^quantization "4bit" needs bitsandbytes, which .*python \(Python [\d.]+\) cannot import \(No module named 'bitsandbytes'\)\. Hint: .*pip install bitsandbytes/)
  })

  it('random models: a config the byte tokenizer cannot serve, quantization without weights, an unknown architecture', async () => {
    const small = await failure(real({ model: { random: { model_type: 'llama', vocab_size: 100, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 } } }))
    expect(small.message).toMatch(/byte tokenizer needs vocab_size >= 259 \(the config has 100\).*Hint: see the transformers section/)
    const quant = await failure(real({ model: { random: 'llama-1m' }, options: { quantization: '8bit' } }))
    expect(quant.message).toMatch(/^quantization needs pretrained weights/)
    const unknown = await failure(real({ model: { random: { model_type: 'nonesuch' } } }))
    expect(unknown.message).toMatch(/^model "random:nonesuch": transformers cannot build its config: model\.random: model_type "nonesuch" is not an architecture transformers 5\.\d+\.\d+ knows\. Hint: /)
  })

  it('a worker killed mid-run fails the request in flight and every later one (fatal), and is reaped', async () => {
    const { session } = await real()
    const pid = session.settings.worker_pid as number
    let tokens = 0
    // far more steps than the kill leaves it time for
    const running = session.generate({ prompt: 'long', maxTokens: 900 }, { onTokens: (n) => (tokens += n) })
    await new Promise((r) => setTimeout(r, 300))
    process.kill(pid, 'SIGKILL')
    const e = await failure(running)
    expect(e.fatal).toBe(true)
    expect(e.message).toMatch(/^the transformers worker died mid-run: exited \(SIGKILL\)(; last stderr: .*)?\. Hint: /)
    expect(tokens).toBe(0) // a batch's stamps come with its reply, which never came
    expect((await failure(session.generate({ prompt: 'x', maxTokens: 2 }, { onTokens() {} }))).fatal).toBe(true)
    expect(await waitGone(pid)).toBe(true)
    await session.close()
  })

  it('fault injection (stand-in): CUDA out of memory in a batch fails the run (fatal); the next session starts a fresh worker that works', async () => {
    const { session } = await startStandIn({ options: { batchSize: 2, env: { FAKE_TORCH_OOM_ROWS: '2' } }, concurrency: 2 })
    const pid = session.settings.worker_pid as number
    const sink = { onTokens() {} }
    // one row fits
    expect((await session.generate({ prompt: 'a', maxTokens: 4 }, sink)).outputTokens).toBe(4)
    const both = await Promise.allSettled(['a', 'b'].map((p) => session.generate({ prompt: p, maxTokens: 4 }, sink)))
    const e = (both[0] as PromiseRejectedResult).reason as LlemError
    expect(both.every((r) => r.status === 'rejected')).toBe(true)
    expect(e.fatal).toBe(true)
    expect(e.message).toMatch(/^CUDA out of memory generating a batch of 2 x 4 new tokens: CUDA out of memory\. Tried to allocate 2\.00 GiB.*Hint: lower backend\.batchSize/)
    // nothing after a fatal error is sent to the worker
    await expect(session.generate({ prompt: 'a', maxTokens: 4 }, sink)).rejects.toBe(e)
    await session.close()
    expect(await waitGone(pid)).toBe(true)
    const fresh = await startStandIn({})
    expect((await fresh.session.generate({ prompt: 'a', maxTokens: 4 }, sink)).outputTokens).toBe(4)
    await fresh.session.close()
  })

  it('a worker that answers another protocol version is refused and stopped', async () => {
    const marker = mkdtempSync(path.join(os.tmpdir(), 'llem-proto-'))
    // the pid is on disk before the handshake: llem may refuse and stop the worker as soon as it reads that line
    const python = fakeInterpreter(`echo $$ > ${marker}/pid\necho '{"t":"hello","protocol":99,"python":"3.99.0","executable":"/x","pid":1}'\nexec sleep 30`)
    const e = await failure(real({ options: { python } }))
    expect(e.message).toMatch(/^protocol mismatch: llem speaks transformers-worker protocol 1, the worker \(.*worker\.py, started with .*\) answered 99\. Hint: .*reinstall llem/)
    expect(await waitGone(Number(readFileSync(path.join(marker, 'pid'), 'utf8')))).toBe(true)
  })

  it('a first line that is not a handshake, and a worker that exits while starting', async () => {
    const garbage = await failure(real({ options: { python: fakeInterpreter(`echo 'Python 2.7.18'\nsleep 30`) } }))
    expect(garbage.message).toMatch(/^protocol mismatch: the worker's first line is not a llem handshake: "Python 2\.7\.18"/)
    const dies = await failure(real({ options: { python: fakeInterpreter(`echo 'Fatal Python error: init_fs_encoding' >&2\nexit 3`) } }))
    expect(dies.message).toMatch(/^the transformers worker stopped while starting: exited \(code 3\); last stderr: Fatal Python error: init_fs_encoding\. Hint: /)
  })
})
