/**
 * A transformers worker whose reply cannot be used fails the command at once, with the line quoted:
 * a reply that is not JSON (Python's json.dumps writes NaN for a float nan, which JSON does not
 * allow), one that is not an object, one without an id, one whose id no command in flight has. The
 * worker's stdout carries nothing but the protocol (worker.py moves everything else to stderr), so
 * such a line means the protocol broke: every command in flight fails, the worker is stopped, and its
 * stderr stays in the log and in the error. Before, the command waited for a reply that never came
 * until the experiment timeout (10 min) and the log was lost with the killed experiment.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isLlemError } from '../core/errors.js'
import { PROTOCOL_VERSION, WorkerClient, WorkerGoneError } from '../plugins/backends/transformers/worker-client.js'
import { explainWorkerError } from '../plugins/backends/transformers/worker-errors.js'
import { waitGone } from './fixtures/transformers-session.js'

/** An interpreter stand-in: the handshake, a line on stderr, then `reply` to the first command. */
function worker(reply: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-bad-reply-'))
  writeFileSync(path.join(dir, 'reply'), reply + '\n')
  const file = path.join(dir, 'python')
  const hello = JSON.stringify({ t: 'hello', protocol: PROTOCOL_VERSION, python: '3.12.0', executable: '/stand-in', pid: 1 })
  writeFileSync(file, `#!/bin/sh\necho '${hello}'\necho 'loading tiny model on cpu' >&2\nread cmd\ncat ${dir}/reply\nexec sleep 30\n`)
  chmodSync(file, 0o755)
  return file
}

const CASES = [
  { name: 'NaN in a reply (not JSON)', reply: '{"id":1,"ok":true,"ns":NaN}', why: 'a line that is not JSON' },
  { name: 'not JSON at all', reply: 'Traceback (most recent call last):', why: 'a line that is not JSON' },
  { name: 'JSON that is not an object', reply: '[1,2,3]', why: 'a line that is not a JSON object' },
  { name: 'a reply without an id', reply: '{"ok":true,"ns":5}', why: 'a reply without a numeric id' },
  { name: 'a wrong id', reply: '{"id":7,"ok":true,"ns":5}', why: 'a reply to id 7, which no command in flight has' },
]

describe('a worker reply that cannot be used', () => {
  it.each(CASES)('$name: the command fails at once with the line quoted, the worker is stopped, its log kept', async (c) => {
    const logs: string[] = []
    const { client } = await WorkerClient.start({ python: worker(c.reply), env: {}, cwd: process.cwd(), log: (l) => logs.push(l) })
    const t0 = performance.now()
    // without a verdict in 3 s it hangs (as it did, until the experiment timeout)
    const verdict = await Promise.race([client.request({ t: 'ping' }).then(() => 'answered', (e: unknown) => e), new Promise((r) => setTimeout(() => r('hung'), 3000))])
    expect(verdict).toBeInstanceOf(WorkerGoneError)
    const e = verdict as WorkerGoneError
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(e.kind).toBe('reply')
    expect(e.message).toBe(`the worker broke the protocol with ${c.why}: ${JSON.stringify(c.reply)}; last stderr: loading tiny model on cpu`)
    // the log keeps the worker's stderr and says why it was stopped
    expect(logs).toContain('[transformers] loading tiny model on cpu')
    expect(logs).toContain(`[transformers] ${e.message}`)
    // nothing more is sent to it, and it is gone
    await expect(client.request({ t: 'ping' })).rejects.toBe(e)
    expect(await waitGone(client.pid)).toBe(true)
    await client.stop(0)
  })

  it('a very long line is quoted by its start and its length', async () => {
    const reply = `{"id":1,"ok":true,"text":"${'x'.repeat(5000)}",NaN}`
    const { client } = await WorkerClient.start({ python: worker(reply), env: {}, cwd: process.cwd(), log: () => {} })
    const e = (await client.request({ t: 'ping' }).catch((x: unknown) => x)) as WorkerGoneError
    expect(e.message).toBe(`the worker broke the protocol with a line that is not JSON: ${JSON.stringify(reply.slice(0, 200))}… (${reply.length} characters); last stderr: loading tiny model on cpu`)
    await client.stop(0)
  })

  it('mid-run it is a fatal failure of the experiment, with a hint', () => {
    const e = explainWorkerError(new WorkerGoneError('reply', `the worker broke the protocol with a line that is not JSON: "{\\"id\\":1,\\"ns\\":NaN}"`), { python: 'python3', model: 'm', phase: 'run' })
    expect(isLlemError(e) && e.fatal).toBe(true)
    expect((e as Error).message).toBe(
      'the transformers worker broke the protocol with a line that is not JSON: "{\\"id\\":1,\\"ns\\":NaN}". Hint: the worker was stopped; its stderr is in the experiment log. This is a bug in the worker or in a package that writes to its protocol channel: please report it with that log',
    )
  })
})
