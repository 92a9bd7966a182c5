/**
 * The results directory's lock (core/results/run-lock.ts): taken atomically, it records pid, process
 * start time, host and boot id, and exactly the stale cases are taken over, with a message: a dead
 * pid, a pid reused by a process started at another time (llem's own pid in a restarted container
 * too), a lock from before this host's last boot, another host's lock whose holder stopped
 * refreshing it. A live holder, a refreshed lock of another host and an older llem's lock of another
 * host are never taken. Several llem started at once on one stale lock: exactly one of them holds it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireLock, bootId, procStat } from '../core/results/run-lock.js'
import { REPO } from './fixtures/project.js'

const host = os.hostname()
const lockOf = (dir: string) => path.join(dir, '.llem.lock')
const newDir = () => mkdtempSync(path.join(os.tmpdir(), 'llem-lock-'))
function plant(dir: string, rec: Record<string, unknown>): void {
  writeFileSync(lockOf(dir), JSON.stringify({ since: '2026-01-01T00:00:00.000Z', nonce: 'planted', ...rec }))
}
/** the pid of a process that has exited (and been reaped) */
const deadPid = () => spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout.trim()
// a live process that is not llem: the lock's pid, with its true start time or another
const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' })
afterAll(() => sleeper.kill('SIGKILL'))

async function takes(dir: string): Promise<string | null> {
  const lock = await acquireLock(dir)
  const rec = JSON.parse(readFileSync(lockOf(dir), 'utf8'))
  expect(rec).toMatchObject({ pid: process.pid, host, start_time: procStat(process.pid)!.startTime, boot_id: bootId() })
  lock.release()
  expect(existsSync(lockOf(dir))).toBe(false)
  return lock.recovered
}

describe('stale locks are taken over, live ones never', () => {
  it('records pid, start time (proc stat field 22), host and boot id; a fresh directory is not "recovered"', async () => {
    expect(bootId()).toMatch(/^[0-9a-f-]{36}$/)
    expect(await takes(newDir())).toBeNull()
  })

  it('a dead pid', async () => {
    const dir = newDir()
    const pid = Number(deadPid())
    plant(dir, { pid, start_time: 1, host, boot_id: bootId() })
    expect(await takes(dir)).toBe(`took over a stale lock (pid ${pid} no longer exists)`)
  })

  it('a pid reused by a process started at another time', async () => {
    const dir = newDir()
    const real = procStat(sleeper.pid!)!.startTime
    plant(dir, { pid: sleeper.pid, start_time: real - 5, host, boot_id: bootId() })
    expect(await takes(dir)).toBe(`took over a stale lock (pid ${sleeper.pid} is now another process (started at tick ${real}, the holder at ${real - 5}))`)
  })

  it("llem's own pid, held by an earlier process (a restarted container), with or without a start time", async () => {
    const dir = newDir()
    plant(dir, { pid: process.pid, start_time: procStat(process.pid)!.startTime - 1, host, boot_id: bootId() })
    expect(await takes(dir)).toMatch(new RegExp(`^took over a stale lock \\(pid ${process.pid} is now another process`))
    plant(dir, { pid: process.pid, host })
    expect(await takes(dir)).toBe(`took over a stale lock (pid ${process.pid} is this process, which does not hold the lock)`)
  })

  it('a lock from before the last boot of this host', async () => {
    const dir = newDir()
    plant(dir, { pid: sleeper.pid, start_time: procStat(sleeper.pid!)!.startTime, host, boot_id: '00000000-0000-0000-0000-000000000000' })
    expect(await takes(dir)).toBe(`took over a stale lock (pid ${sleeper.pid} ran before this machine last booted (boot id 00000000-0000-0000-0000-000000000000))`)
  })

  it('a live holder, and any lock of another host, are never taken', async () => {
    const dir = newDir()
    plant(dir, { pid: sleeper.pid, start_time: procStat(sleeper.pid!)!.startTime, host, boot_id: bootId() })
    await expect(acquireLock(dir)).rejects.toThrow(`is in use by another llem (pid ${sleeper.pid}, since 2026-01-01T00:00:00.000Z)`)
    plant(dir, { pid: Number(deadPid()), start_time: 1, host: 'elsewhere', boot_id: 'other' })
    await expect(acquireLock(dir)).rejects.toThrow(/in use by another llem \(pid \d+ on elsewhere, .*a lock of another host from an older llem is never taken over/)
    expect(JSON.parse(readFileSync(lockOf(dir), 'utf8')).host).toBe('elsewhere')
  })

  it("another host's lock (a container, a node on a shared filesystem) is judged by its lease", async () => {
    const dir = newDir()
    const other = { pid: 4242, start_time: 1, host: 'container-7f3a', boot_id: bootId(), refresh_ms: 10_000 }
    // refreshed 5 s ago: its llem is alive, whatever its pid means here
    plant(dir, other)
    utimesSync(lockOf(dir), new Date(Date.now() - 5_000), new Date(Date.now() - 5_000))
    await expect(acquireLock(dir)).rejects.toThrow(/pid 4242 on container-7f3a, .*taken over once its llem stops refreshing it for 60 s/)
    // not refreshed for 2 minutes (six refreshes are 60 s): its llem crashed
    utimesSync(lockOf(dir), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000))
    expect(await takes(dir)).toMatch(/^took over a stale lock \(the llem of container-7f3a \(pid 4242\) has not refreshed it for 12\d s \(it does every 10 s while it runs\)\)$/)
  })

  it('the holder refreshes its lock while it holds it, and stops when it releases it', async () => {
    const dir = newDir()
    const lock = await acquireLock(dir, { refreshMs: 50 })
    expect(JSON.parse(readFileSync(lockOf(dir), 'utf8')).refresh_ms).toBe(50)
    utimesSync(lockOf(dir), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    await new Promise((r) => setTimeout(r, 200))
    expect(Date.now() - statSync(lockOf(dir)).mtimeMs).toBeLessThan(1_000)
    lock.release()
    expect(existsSync(lockOf(dir))).toBe(false)
  })
})

// a contender: waits for the common start time, takes the lock, says so, and holds it until stdin closes
const CONTENDER = `
const { acquireLock } = await import(process.argv[1])
while (Date.now() < Number(process.argv[3])) {}
try {
  const lock = await acquireLock(process.argv[2])
  process.stdout.write('held\\n')
  process.stdin.on('data', () => {}).on('end', () => { lock.release(); process.exit(0) })
} catch (e) {
  process.stdout.write('refused ' + e.message + '\\n')
  process.exit(0)
}
`

describe('several llem at once on one stale lock', () => {
  it('exactly one holds it, round after round', async () => {
    const module = path.join(REPO, 'dist', 'core', 'results', 'run-dir.js')
    for (let round = 0; round < 3; round++) {
      const dir = newDir()
      plant(dir, { pid: Number(deadPid()), start_time: 1, host, boot_id: bootId() })
      const go = String(Date.now() + 900)
      const kids = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', CONTENDER, module, dir, go], { stdio: ['pipe', 'pipe', 'inherit'] }))
      const said = await Promise.all(kids.map((k) => new Promise<string>((resolve) => {
        let out = ''
        k.stdout.on('data', (d) => {
          out += d
          if (out.includes('\n')) resolve(out.trim())
        })
        k.on('exit', () => resolve(out.trim()))
      })))
      for (const k of kids) k.stdin.end()
      await Promise.all(kids.map((k) => new Promise((r) => (k.exitCode !== null ? r(null) : k.on('exit', r)))))
      expect(said.filter((s) => s === 'held'), said.join('\n')).toHaveLength(1)
      expect(said.filter((s) => s.startsWith('refused')).every((s) => s.includes('is in use by another llem'))).toBe(true)
    }
  }, 30_000)
})
