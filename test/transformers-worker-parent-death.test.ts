/**
 * The transformers worker dies with the process that started it. A kill -9 of llem must not leave a
 * Python worker behind holding a model (and, on a GPU, its memory). Here the worker's stdin is a
 * named pipe this test keeps open for writing, so it never sees end-of-file: only the kernel's
 * parent-death signal (prctl PR_SET_PDEATHSIG, set by worker.py) can end it when its parent is
 * SIGKILLed. (A pipe inherited through a Node parent would not do: libuv may leave it non-blocking,
 * and the worker's read would fail on its own.)
 */
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from './fixtures/project.js'
import { OFFLINE_ENV, pythonEnv } from './fixtures/python-envs.js'

const WORKER = path.join(REPO, 'plugins', 'backends', 'transformers', 'worker.py')
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))

describe('transformers worker and its parent', () => {
  it('a SIGKILLed parent takes the worker with it, although the worker\'s stdin stays open', async () => {
    const python = pythonEnv('tf5')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-pdeath-'))
    const fifo = path.join(dir, 'stdin')
    execFileSync('mkfifo', [fifo])
    // held open for writing (O_RDWR does not wait for a reader) for the whole test
    const writer = openSync(fifo, 'r+')
    // the parent: starts the worker reading the named pipe, prints the worker's pid and hello, waits
    const parentSrc = `
      const { spawn } = require('node:child_process')
      const fs = require('node:fs')
      const w = spawn(${JSON.stringify(python)}, [${JSON.stringify(WORKER)}], { stdio: [fs.openSync(${JSON.stringify(fifo)}, 'r'), 'pipe', 'inherit'], env: { ...process.env, ...${JSON.stringify(OFFLINE_ENV)} } })
      w.stdout.once('data', (d) => process.stdout.write(JSON.stringify({ worker: w.pid, hello: String(d) }) + '\\n'))
      setInterval(() => {}, 1000)
    `
    const parent = spawn(process.execPath, ['-e', parentSrc], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const first = await new Promise<{ worker: number; hello: string }>((resolve, reject) => {
        parent.once('exit', (code) => reject(new Error(`parent exited (${code}) before the worker said hello`)))
        parent.stdout!.once('data', (d) => resolve(JSON.parse(String(d))))
      })
      expect(JSON.parse(first.hello).t).toBe('hello')
      // waiting on its stdin, the worker lives as long as nothing ends it
      await new Promise((r) => setTimeout(r, 300))
      expect(alive(first.worker)).toBe(true)
      parent.kill('SIGKILL')
      const deadline = Date.now() + 5000
      while (alive(first.worker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(alive(first.worker), `worker ${first.worker} outlived its SIGKILLed parent`).toBe(false)
    } finally {
      parent.kill('SIGKILL')
      closeSync(writer)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
