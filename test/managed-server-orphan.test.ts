/**
 * A managed server must not outlive llem: `kill -9` of llem's whole process group (a cancelled CI job,
 * an OOM kill) runs none of llem's cleanup, and a server in a process group of its own used to be
 * reparented to init and keep running (a vLLM keeps its GPU memory). Here the real llama-server, run
 * by the `server` backend, is gone within the stop grace after SIGKILL of the group, its supervisor too.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { BIN, makeProject, TEST_CACHE } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
const cmdline = (pid: string) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return []
  }
}
/** pids whose command line holds `marker` as one argument */
const withArg = (marker: string) => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(p).includes(marker)).map(Number)
async function until<T>(get: () => T | null | undefined | false, ms: number): Promise<T | null> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = get()
    if (v) return v
  }
  return null
}

const leftovers: number[] = []
afterAll(() => {
  for (const p of leftovers) if (alive(p)) process.kill(p, 'SIGKILL')
})

describe('SIGKILL of llem and its whole process group', () => {
  it('takes the managed server (and its supervisor) down with it', async () => {
    const alias = `orphan-check-${process.pid}-${Date.now()}`
    const command = llamaServerCommand(bin).map((a) => (a === 'tiny' ? alias : a))
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 } }, generation: { maxTokens: 16 } }\n`,
      'benchmarks/s.bench.ts': `import { bench } from 'llem'\nbench('long', { backend: { name: 'server', command: ${JSON.stringify(command)}, servedModelName: ${JSON.stringify(alias)} }, model: { path: ${JSON.stringify(model)} }, dataset: { prompts: ['Hello'] }, load: { requests: 100000 } })\n`,
    })
    // its own process group, as a shell job or a CI step is
    const llem = spawn(process.execPath, [BIN, 'bench'], { cwd: dir, detached: true, stdio: 'ignore', env: { ...process.env, LLEM_CACHE_DIR: TEST_CACHE, CI: 'true' } })
    const server = await until(() => withArg(alias).find((p) => cmdline(String(p))[0] === bin), 30_000)
    expect(server, 'llama-server did not start').not.toBeNull()
    leftovers.push(server!)
    // every other process that carries the server's arguments (its supervisor)
    const others = withArg(alias).filter((p) => p !== server)
    leftovers.push(...others)
    // serving: the measured load is under way
    await until(() => readFileSync(`/proc/${server}/status`, 'utf8').includes('State:'), 1000)
    await new Promise((r) => setTimeout(r, 1000))

    process.kill(-llem.pid!, 'SIGKILL')
    // SIGTERM at once, SIGKILL after the 5 s grace at the latest
    expect(await until(() => !alive(server!), 8000), `llama-server (pid ${server}) outlived llem`).toBe(true)
    expect(await until(() => others.every((p) => !alive(p)), 2000), `pids ${others.join(', ')} outlived llem`).toBe(true)
  }, 60_000)
})
