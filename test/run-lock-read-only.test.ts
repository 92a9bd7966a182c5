/**
 * A results directory that turns read-only while a run holds its lock (a volume remounted, a disk
 * taken away): releasing the lock cannot remove its file, which must not end the run as an internal
 * error after its results are written; it says so, and the next llem takes the lock over as stale.
 * Mounting needs root (CI runs as root); anywhere else this says so and fails under CI=true.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { acquireLock } from '../core/results/run-lock.js'
import { requireTool } from './fixtures/required-tool.js'

const isRoot = requireTool('run-lock-read-only', process.getuid?.() === 0, 'needs root to mount a tmpfs (mount -t tmpfs)', 'run as root; CI does')

let mnt = ''
beforeAll(() => {
  if (!isRoot) return
  mnt = mkdtempSync(path.join(os.tmpdir(), 'llem-ro-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt])
})
afterAll(() => {
  if (!mnt) return
  execFileSync('umount', [mnt])
  rmSync(mnt, { recursive: true, force: true })
})

describe.skipIf(!isRoot)('the run lock on a directory that turned read-only', () => {
  it('is released without throwing, and says why its file stays', async () => {
    const lock = await acquireLock(mnt)
    expect(existsSync(lock.file)).toBe(true)
    execFileSync('mount', ['-o', 'remount,ro', mnt])
    const said: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (said.push(String(s)), true))
    try {
      expect(() => lock.release()).not.toThrow()
    } finally {
      spy.mockRestore()
    }
    expect(said.join('')).toMatch(/could not remove the lock file .*\.llem\.lock \(EROFS\): the next run takes it over/)
    execFileSync('mount', ['-o', 'remount,rw', mnt])
    // the file stayed: a lock whose process is gone is taken over as stale (test/run-recovery-e2e.test.ts)
    expect(existsSync(lock.file)).toBe(true)
  })
})
