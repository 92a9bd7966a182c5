/**
 * WorkerClient.stop() waited for the worker with Promise.race([done, setTimeout(5000)]) and never
 * cleared the timer: after the worker had exited, the timer still held Node's event loop, so every
 * llem process that stopped a Python worker stayed alive ~5 s longer than it had to. Here a stand-in
 * worker (it speaks the handshake and exits on shutdown) is stopped, and the process must end at once.
 * Once stopped, the worker's pid is reported reaped, so the main process drops it from the process
 * groups it kills after a task (a group id, once free, may name another process's group).
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION } from '../plugins/backends/transformers/worker-client.js'
import { REPO } from './fixtures/project.js'

/** the "python" executable: ignores its arguments (-u worker.py), answers as worker.py does */
function standInWorker(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-fake-python-')), 'python')
  writeFileSync(file, `#!${process.execPath}
process.stdout.write(JSON.stringify({ t: 'hello', protocol: ${PROTOCOL_VERSION}, python: '3.12.0', executable: process.execPath, pid: process.pid }) + '\\n')
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (JSON.parse(l).t === 'shutdown') process.exit(0)
})
`)
  chmodSync(file, 0o755)
  return file
}

// in a process of its own: how long it lives on after stop() returned is the point
const STOPPER = `
const { WorkerClient } = await import(process.argv[1])
const { client } = await WorkerClient.start({ python: process.argv[2], env: {}, cwd: process.cwd(), log: () => {} })
await client.stop()
process.stdout.write(JSON.stringify({ stopped: Date.now(), exited: client.exited?.kind }))
`

describe('WorkerClient.stop', () => {
  it('does not keep the process alive once the worker has exited', () => {
    const module = path.join(REPO, 'dist', 'plugins', 'backends', 'transformers', 'worker-client.js')
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', STOPPER, module, standInWorker()], { encoding: 'utf8', timeout: 20_000 })
    const ended = Date.now()
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { stopped: number; exited: string }
    expect(out.exited).toBe('exited')
    // nothing left to wait for: the process ends right after stop() (it lingered 5 s on a pending timer)
    expect(ended - out.stopped).toBeLessThan(1500)
  })

  it('tells the main process the worker is reaped, so that its group id is never signalled again', async () => {
    const module = path.join(REPO, 'dist', 'plugins', 'backends', 'transformers', 'worker-client.js')
    // as under tinypool: an IPC channel to the main process (core/run/pool.ts listens on it)
    const child = spawn(process.execPath, ['--input-type=module', '-e', STOPPER, module, standInWorker()], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    const messages: { llem: string; pid: number }[] = []
    child.on('message', (m) => messages.push(m as { llem: string; pid: number }))
    await new Promise((r) => child.on('exit', r))
    expect(messages.map((m) => m.llem)).toEqual(['spawned', 'reaped'])
    expect(messages[1].pid).toBe(messages[0].pid)
    expect(messages[0].pid).toBeGreaterThan(1)
  })
})
