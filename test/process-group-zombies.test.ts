/**
 * After a timed-out experiment's server is SIGKILLed, the pool waits until its process group no longer
 * runs before handing the slot on. A group left with only zombies (dead, never reaped: llem as PID 1 in
 * a container without an init) does not run: kill(-pgid, 0) still succeeds for it, so the wait must
 * read the members' states, or every timeout would cost the pool's whole limit. Every thread's state
 * counts: a process whose main thread ended while another works shows Z and still runs. The scenario
 * is real: a Python parent forks a child into a group of its own and, for the zombie, never waits for it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { groupRuns } from '../core/run/process-groups.js'

// the child: its own process group; it exits at once (a zombie, its parent never waits) or sleeps
const PARENT = `import ctypes, os, sys, threading, time
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    if sys.argv[1] == 'exit':
        os._exit(0)
    if sys.argv[1] == 'leader-exits':
        # its main thread ends (the process shows Z) while another thread goes on working
        threading.Thread(target=lambda: time.sleep(60), daemon=False).start()
        ctypes.CDLL(None).pthread_exit(None)
    time.sleep(60)
    os._exit(0)
os.setpgid(pid, pid)
print(pid, flush=True)
time.sleep(60)
`

const parents: ChildProcess[] = []
afterEach(() => {
  for (const p of parents.splice(0)) p.kill('SIGKILL')
})

async function forked(mode: 'exit' | 'sleep' | 'leader-exits'): Promise<number> {
  const p = spawn('python3', ['-c', PARENT, mode], { stdio: ['ignore', 'pipe', 'inherit'] })
  parents.push(p)
  const line = await new Promise<string>((resolve, reject) => {
    p.stdout!.once('data', (d) => resolve(String(d)))
    p.once('error', reject)
  })
  return Number(line.trim())
}

const state = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  return stat.slice(stat.lastIndexOf(')') + 2)[0]
}

describe('a process group of zombies', () => {
  it('does not run, though kill(-pgid, 0) still answers for it; a sleeping group runs', async () => {
    const zombie = await forked('exit')
    for (let i = 0; i < 200 && state(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10))
    expect(state(zombie)).toBe('Z')
    // the premise: signal 0 to the group succeeds while its only member is a zombie
    expect(() => process.kill(-zombie, 0)).not.toThrow()
    expect(groupRuns(zombie)).toBe(false)

    // a process whose main thread is a zombie while another thread runs: still running
    const half = await forked('leader-exits')
    for (let i = 0; i < 200 && state(half) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10))
    expect(state(half)).toBe('Z')
    expect(groupRuns(half)).toBe(true)
    process.kill(-half, 'SIGKILL')

    const sleeper = await forked('sleep')
    expect(groupRuns(sleeper)).toBe(true)
    process.kill(-sleeper, 'SIGKILL')
    for (let i = 0; i < 200 && state(sleeper) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10))
    expect(groupRuns(sleeper)).toBe(false)
  })
})
