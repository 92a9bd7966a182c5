/**
 * A results directory on a read-only filesystem, new or already there: one line naming the directory
 * and the reason, exit 2, before any experiment runs (not "internal error" from the lock file).
 * The read-only mounts live in a private mount namespace (`unshare --mount`), so the test needs root.
 */
import { execFileSync, spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { BIN, makeProject, TEST_CACHE } from './fixtures/project.js'
import { requireTool } from './fixtures/required-tool.js'

const canMount = (() => {
  try {
    execFileSync('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs /mnt'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const ok = requireTool('results-dir-read-only', canMount, 'cannot mount a read-only filesystem in a private mount namespace (needs root)', 'run as root, as .ci/run does')

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const BENCH = "import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n"

/** `llem bench --results-dir <dir>` after `setup` (shell, in the private namespace) */
function benchIn(cwd: string, setup: string, dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['--mount', 'sh', '-c', `${setup} && exec "$0" "$1" bench --results-dir "$2"`, process.execPath, BIN, dir], {
      cwd, env: { ...process.env, LLEM_CACHE_DIR: TEST_CACHE, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

describe.skipIf(!ok)('a results directory on a read-only filesystem', () => {
  const dir = makeProject({ 'package.json': PKG, 'benchmarks/t.bench.ts': BENCH })

  it('a directory llem would create there: refused, the filesystem named read-only', async () => {
    const r = await benchIn(dir, 'mount -t tmpfs -o ro tmpfs /mnt', '/mnt/results')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^llem: results directory \/mnt\/results: cannot create \/mnt\/results: the filesystem is read-only/)])
  })

  it('a directory already there: refused the same way, not an internal error from the lock file', async () => {
    const r = await benchIn(dir, 'mount -t tmpfs tmpfs /mnt && mkdir /mnt/results && mount -o remount,ro /mnt', '/mnt/results')
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).not.toContain('internal error')
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^llem: results directory \/mnt\/results: cannot write to \/mnt\/results: the filesystem is read-only/)])
  })
})
