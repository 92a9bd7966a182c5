/**
 * Whether a process group still has a process that runs: what the pool waits for after it SIGKILLs a
 * timed-out experiment's server, before the slot (and its GPUs) goes to the next experiment.
 *
 * `kill(-pgid, 0)` alone is not enough: it succeeds while the group holds only zombies, processes that
 * are dead but not yet reaped. Where llem runs as PID 1 (a container started without an init) or under
 * any parent that never waits for orphans, a killed server's processes stay zombies for good, and the
 * pool would wait its whole limit after every timeout. A zombie draws no power and holds no GPU memory,
 * so on Linux the members' states are read from /proc and a group of zombies is gone.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** true while the group has a member that is not a zombie (or one llem may not see: EPERM) */
export function groupRuns(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch (e) {
    // EPERM: the group exists, owned by someone else (not ours to wait for, but not gone either)
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
  const states = memberStates(pgid)
  // no /proc, or the group answered but none of its members can be seen (hidepid, another PID
  // namespace): assume it runs, and the pool waits out its limit as it would without /proc
  return states === null || states.length === 0 || states.some((s) => s !== 'Z' && s !== 'X')
}

/** the states (R, S, D, Z, ...) of the group's members from /proc/<pid>/stat; null without /proc */
function memberStates(pgid: number): string[] | null {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n))
  } catch {
    return null
  }
  const states: string[] = []
  for (const pid of pids) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    } catch {
      continue // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) !== pgid) continue
    // the process's stat is its main thread's: a leader that exited while other threads still run (a
    // CUDA server releasing GPU memory after SIGKILL) shows Z, so every thread's state counts
    states.push(...threadStates(pid, fields[0]))
  }
  return states
}

function threadStates(pid: string, leader: string): string[] {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return [leader]
  }
  const out: string[] = []
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1')
      out.push(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))
    } catch {
      // gone meanwhile
    }
  }
  return out.length ? out : [leader]
}
