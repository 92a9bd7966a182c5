/**
 * The supervisor of a managed server (a tiny Node program, started by managed-process.ts as
 * `node supervisor.js <options-json> <command> [args...]`). It exists because llem can be killed
 * with SIGKILL, its whole process group at once (a CI job cancelled, an OOM kill, `kill -9 -- -pgid`):
 * nothing in llem runs then, and a server in its own process group would be reparented to init and
 * keep its GPU memory. The supervisor lives in a session of its own (so that kill does not reach
 * it) and holds the IPC channel to the llem process that started it: when that channel closes, llem
 * is gone, and the supervisor stops the server (SIGTERM, then SIGKILL after the grace) and exits.
 * Node emits 'disconnect' when the parent's end of the channel closes, including when the parent
 * dies: https://nodejs.org/api/process.html#event-disconnect
 *
 * It signals only its own child's process group, and only while that child has been spawned and its
 * pid is a real one: a server that could not start has no pid, and nothing is signalled. After the
 * server exits, it removes the paths it was told to (a temp dir of options files), so those never
 * outlive the server either, whichever way llem ended. Messages to llem: {t:'spawned',pid},
 * {t:'error',message}, {t:'exit',code,signal}. From llem: {t:'stop',graceMs}.
 */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'

interface SupervisorOptions {
  /** ms between SIGTERM and SIGKILL when llem goes away */
  graceMs: number
  /** removed once the server has exited */
  cleanup: string[]
}

const opts = JSON.parse(process.argv[2]) as SupervisorOptions
const [cmd, ...args] = process.argv.slice(3)
const send = (m: Record<string, unknown>) => {
  if (process.connected) process.send?.(m)
}

// the server writes straight into llem's pipes (stdout, stderr); it gets no stdin and no IPC channel
const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] })
let spawned = false
let exited = false
let killTimer: NodeJS.Timeout | null = null
let llemGone = false

function signalGroup(sig: NodeJS.Signals): void {
  // a pid of 0, 1 or -1 would signal this group, init or everything: only a spawned child's own group
  const pid = child.pid
  if (!spawned || pid === undefined || !Number.isInteger(pid) || pid <= 1) return
  try {
    process.kill(-pid, sig)
  } catch {
    /* the group is gone */
  }
}

function stop(graceMs: number): void {
  if (exited) return
  signalGroup('SIGTERM')
  if (killTimer === null) killTimer = setTimeout(() => signalGroup('SIGKILL'), graceMs)
}

function finish(code: number | null, signal: NodeJS.Signals | null): void {
  exited = true
  if (killTimer) clearTimeout(killTimer)
  // what the server started in its group (an engine's workers) goes with it
  signalGroup('SIGKILL')
  for (const p of opts.cleanup) rmSync(p, { recursive: true, force: true })
  // the channel keeps this process alive: close it once the last message is written
  if (process.connected) process.send!({ t: 'exit', code, signal }, () => process.disconnect())
}

child.on('spawn', () => {
  spawned = true
  send({ t: 'spawned', pid: child.pid })
  // llem died while the server was being started
  if (llemGone) stop(opts.graceMs)
})
child.on('error', (e) => {
  // the command could not be started (ENOENT, EACCES): there is no process to stop
  send({ t: 'error', message: e.message })
  if (!spawned) finish(127, null)
})
child.on('exit', (code, signal) => finish(code, signal))

process.on('message', (m: { t?: string; graceMs?: number }) => {
  if (m?.t === 'stop') stop(m.graceMs ?? opts.graceMs)
})
// llem is gone (exited, crashed or SIGKILLed): the server must not outlive it
process.on('disconnect', () => {
  llemGone = true
  stop(opts.graceMs)
})
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stop(opts.graceMs))
