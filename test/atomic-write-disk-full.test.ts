/**
 * A full disk must never cost a good file: on a small tmpfs mounted here, a results.json that does not
 * fit fails (ENOSPC) instead of being cut short and renamed over the previous good one; the old
 * contents stay, the run names the file and exits non-zero, and the rest of the run is written.
 * Mounting needs root (CI runs as root); anywhere else this says so and fails under CI=true.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileWriteError, writeFileAtomic, writeFileAtomicPieces } from '../core/results/atomic-write.js'
import { makeProject, runCli } from './fixtures/project.js'
import { requireTool } from './fixtures/required-tool.js'
import { startSseServer, type SseServer } from './fixtures/sse-server.js'

const isRoot = requireTool('atomic-write-disk-full', process.getuid?.() === 0, 'needs root to mount a tmpfs (mount -t tmpfs)', 'run as root; CI does')

const FS_SIZE = 64 * 1024
let mnt = ''
let server: SseServer
beforeAll(async () => {
  if (!isRoot) return
  mnt = mkdtempSync(path.join(os.tmpdir(), 'llem-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${FS_SIZE}`, 'tmpfs', mnt])
  server = await startSseServer(() => ({ tokens: 8 }))
})
afterAll(async () => {
  await server?.close()
  if (!mnt) return
  execFileSync('umount', [mnt])
  rmSync(mnt, { recursive: true, force: true })
})

/** fills the tmpfs so that only `free` bytes are left */
function leaveFree(free: number): void {
  rmSync(path.join(mnt, 'filler'), { force: true })
  const used = readdirSync(mnt).reduce((n, f) => n + Math.ceil(readFileSync(path.join(mnt, f)).length / 4096) * 4096, 0)
  writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(FS_SIZE - used - free))
}

describe.skipIf(!isRoot)('a full disk', () => {
  it('a write that does not fit fails and leaves the previous file whole (string and pieces)', async () => {
    const file = path.join(mnt, 'results.json')
    writeFileSync(file, '{"old": true}\n')
    leaveFree(16 * 1024)
    // 40 KB into 16 KB: write(2) writes part of it and returns a short count
    for (const write of [() => writeFileAtomicPieces(file, ['[', '"x",'.repeat(10_000), '"end"]\n']), () => writeFileAtomic(file, 'y'.repeat(40_000))]) {
      const e = await write().then(() => null, (err: unknown) => err)
      expect(e).toBeInstanceOf(FileWriteError)
      expect((e as FileWriteError).code).toBe('ENOSPC')
      expect((e as FileWriteError).file).toBe(file)
      expect(readFileSync(file, 'utf8')).toBe('{"old": true}\n')
      expect(readdirSync(mnt).filter((f) => f.endsWith('.tmp'))).toEqual([])
    }
  })

  it('the run goes on, names the file it could not write and exits 1; the rest is written', async () => {
    const out = path.join(mnt, 'results.json')
    writeFileSync(out, '{"old": true}\n')
    leaveFree(8 * 1024)
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 } }\n`,
      'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('a', { backend: { name: 'openai', baseURL: '${server.url}' }, model: 'scripted', dataset: { prompts: ['p1', 'p2', 'p3', 'p4'] }, generation: { maxTokens: 8 } })\n`,
    })
    const r = await runCli(dir, ['bench', '--reporter', 'console', '--reporter', 'json', '--outputFile', out])
    expect(r.code, r.stderr + r.stdout + readFileSync(out, 'utf8').length).toBe(1)
    // the console's table: the experiment itself completed
    expect(r.stdout).toMatch(/^1 passed, 0 failed$/m)
    expect(r.stderr).toContain(`could not be written`)
    expect(r.stderr).toMatch(new RegExp(`^  ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*ENOSPC`, 'm'))
    expect(readFileSync(out, 'utf8')).toBe('{"old": true}\n')
    // the run directory is on another file system: its results are all there
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    expect(JSON.parse(readFileSync(path.join(run, 'aggregated', readdirSync(path.join(run, 'aggregated'))[0]), 'utf8')).status).toBe('completed')
    expect(readdirSync(root)).not.toContain('.llem.lock')
  }, 60_000)
})
