/**
 * Every way the transformers worker can fail, each turned into one line with a cause and a hint:
 * no interpreter, torch or transformers or bitsandbytes missing, a model that is not there, CUDA out of
 * memory (fatal for the run; a fresh worker serves the next one), the worker killed mid-run, a worker
 * that speaks another protocol version or dies while starting. No process is left behind.
 */
import { chmodSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isLlemError, type LlemError } from '../core/errors.js'
import { FAKE_PACKAGES, startFake, waitGone } from './fixtures/fake-transformers/start.js'

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
  it('a missing interpreter', async () => {
    const e = await failure(startFake({ options: { python: '/nonexistent/bin/python3' } }))
    expect(e.code).toBe('BACKEND_FAILED')
    expect(e.message).toMatch(/^cannot start the Python interpreter "\/nonexistent\/bin\/python3": not found\. Hint: .*backend\.python/)
    oneLine(e)
  })

  it('torch missing, then transformers missing: each named, with how to install', async () => {
    // no fake packages on the path: this machine's python3 has no torch
    const noTorch = await failure(startFake({ options: { env: { PYTHONPATH: '' } } }))
    expect(noTorch.message).toMatch(/^python3 \(Python 3\.\d+\.\d+\) cannot import torch \(No module named 'torch'\).*Hint: "python3 -m pip install torch transformers"/)
    expect(noTorch.message).toContain('apt install python3-torch')
    oneLine(noTorch)
    const onlyTorch = mkdtempSync(path.join(os.tmpdir(), 'llem-only-torch-'))
    symlinkSync(path.join(FAKE_PACKAGES, 'torch'), path.join(onlyTorch, 'torch'))
    const noTransformers = await failure(startFake({ options: { env: { PYTHONPATH: onlyTorch } } }))
    expect(noTransformers.message).toMatch(/cannot import transformers \(No module named 'transformers'\)/)
  })

  it('quantization without bitsandbytes', async () => {
    const e = await failure(startFake({ options: { quantization: '4bit' } }))
    expect(e.message).toMatch(/^quantization "4bit" needs bitsandbytes, which python3 \(Python [\d.]+\) cannot import \(No module named 'bitsandbytes'\)\. Hint: .*pip install bitsandbytes/)
  })

  it('a model that is not on the hub or on disk', async () => {
    const e = await failure(startFake({ model: 'nobody/no-such-model' }))
    expect(e.code).toBe('MODEL_NOT_FOUND')
    expect(e.message).toMatch(/^model "nobody\/no-such-model" not found: nobody\/no-such-model is not a local folder and is not a valid model identifier .*Hint: .*localFilesOnly/)
    oneLine(e)
  })

  it('CUDA out of memory in a batch fails the run (fatal); the next session starts a fresh worker that works', async () => {
    const { session } = await startFake({ options: { batchSize: 2, env: { FAKE_TORCH_OOM_ROWS: '2' } }, concurrency: 2 })
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
    const fresh = await startFake({})
    expect((await fresh.session.generate({ prompt: 'a', maxTokens: 4 }, sink)).outputTokens).toBe(4)
    await fresh.session.close()
  })

  it('a worker killed mid-run fails the request in flight and every later one (fatal), and is reaped', async () => {
    const { session } = await startFake({ options: { env: { FAKE_TRANSFORMERS_STEP_MS: '20' } } })
    const pid = session.settings.worker_pid as number
    const running = session.generate({ prompt: 'long', maxTokens: 200 }, { onTokens() {} })
    await new Promise((r) => setTimeout(r, 300))
    process.kill(pid, 'SIGKILL')
    const e = await failure(running)
    expect(e.fatal).toBe(true)
    expect(e.message).toMatch(/^the transformers worker died mid-run: exited \(SIGKILL\)\. Hint: /)
    expect((await failure(session.generate({ prompt: 'x', maxTokens: 2 }, { onTokens() {} }))).fatal).toBe(true)
    expect(await waitGone(pid)).toBe(true)
    await session.close()
  })

  it('a worker that answers another protocol version is refused and stopped', async () => {
    const marker = mkdtempSync(path.join(os.tmpdir(), 'llem-proto-'))
    const python = fakeInterpreter(`echo '{"t":"hello","protocol":99,"python":"3.99.0","executable":"/x","pid":1}'\necho $$ > ${marker}/pid\nexec sleep 30`)
    const e = await failure(startFake({ options: { python } }))
    expect(e.message).toMatch(/^protocol mismatch: llem speaks transformers-worker protocol 1, the worker \(.*worker\.py, started with .*\) answered 99\. Hint: .*reinstall llem/)
    expect(await waitGone(Number(readFileSync(path.join(marker, 'pid'), 'utf8')))).toBe(true)
  })

  it('a first line that is not a handshake, and a worker that exits while starting', async () => {
    const garbage = await failure(startFake({ options: { python: fakeInterpreter(`echo 'Python 2.7.18'\nsleep 30`) } }))
    expect(garbage.message).toMatch(/^protocol mismatch: the worker's first line is not a llem handshake: "Python 2\.7\.18"/)
    const dies = await failure(startFake({ options: { python: fakeInterpreter(`echo 'Fatal Python error: init_fs_encoding' >&2\nexit 3`) } }))
    expect(dies.message).toMatch(/^the transformers worker stopped while starting: exited \(code 3\); last stderr: Fatal Python error: init_fs_encoding\. Hint: /)
  })

  it('random models: a config the byte tokenizer cannot serve, and quantization without weights', async () => {
    const small = await failure(startFake({ model: { random: { model_type: 'llama', vocab_size: 100, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2 } } }))
    expect(small.message).toMatch(/byte tokenizer needs vocab_size >= 259 \(the config has 100\).*Hint: see the transformers section/)
    const quant = await failure(startFake({ model: { random: 'llama-1m' }, options: { quantization: '8bit' } }))
    expect(quant.message).toMatch(/^quantization needs pretrained weights/)
    const unknown = await failure(startFake({ model: { random: { model_type: 'nonesuch' } } }))
    expect(unknown.message).toMatch(/^the transformers worker failed: ValueError: Unrecognized model identifier: nonesuch/)
  })
})
