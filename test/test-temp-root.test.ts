// The test run's temp files go to a directory of the run's own (test/fixtures/temp-root.ts), which the
// run removes when it ends; caches meant to outlive it stay in the machine's temp directory.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_TMP } from './fixtures/shared-tmp.js'

describe('the test run temp directory', () => {
  it('is a directory of its own under the machine temp directory, seen by processes the tests start', () => {
    const root = os.tmpdir()
    expect(path.basename(root)).toMatch(/^llem-test-run-/)
    expect(path.dirname(root)).toBe(SHARED_TMP)
    expect(existsSync(root)).toBe(true)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-probe-'))
    expect(dir.startsWith(root + path.sep)).toBe(true)
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())'], { encoding: 'utf8' })
    expect(child.stdout).toBe(root)
  })
})
