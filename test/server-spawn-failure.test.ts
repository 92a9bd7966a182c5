/**
 * A server command that cannot start (no such executable) has no pid. llem used to take -1 for it
 * and stop "its process group" with process.kill(-pid) = process.kill(1, ...): a signal to init (as
 * root in a container, the container's init). Now llem signals only its own child (the supervisor),
 * and the supervisor only a child it has spawned: nothing is signalled, and the failure says why.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { managedSession, startProcess, type ServerOptions } from '../plugins/backends/server/index.js'
import type { BackendContext } from '../core/backends/types.js'

const MISSING = '/nonexistent/llem-no-such-server'

afterEach(() => vi.restoreAllMocks())

/** process.kill recorded, never delivered: on a broken build this test must not signal init */
const recordKills = () => vi.spyOn(process, 'kill').mockImplementation(() => true)

describe('a server command that cannot start', () => {
  it('signals no process at all, and its log names the command and the reason', async () => {
    const kill = recordKills()
    const proc = startProcess([MISSING, '--port', '1'], {}, () => {})
    for (let i = 0; i < 100 && proc.exited() === null; i++) await new Promise((r) => setTimeout(r, 50))
    expect(proc.exited()).toEqual({ code: 127, signal: null })
    expect(proc.pid).toBe(-1)
    await proc.stop()
    expect(kill.mock.calls).toEqual([])
    expect(proc.logTail()[0]).toBe(`cannot start ${MISSING}: spawn ${MISSING} ENOENT`)
  })

  it('through the server backend: the experiment fails with that reason, nothing is signalled', async () => {
    const kill = recordKills()
    const lines: string[] = []
    const ctx = { options: {}, model: 'm', generation: {}, concurrency: 1, cacheDir: '/tmp', baseDir: '/tmp', log: (l: string) => lines.push(l) } as unknown as BackendContext<unknown>
    const o: ServerOptions & { port: number } = { command: [MISSING], port: 1, startupTimeoutMs: 10_000 }
    await expect(managedSession([MISSING], o, ctx)).rejects.toThrow(`the server exited (code 127) before http://127.0.0.1:1/health answered; last output:\ncannot start ${MISSING}: spawn ${MISSING} ENOENT`)
    expect(kill.mock.calls).toEqual([])
  })
})
