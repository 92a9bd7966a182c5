/**
 * A managed server that exits before it answers is reported with its last output, and that output is
 * read to its end first: the lines still in the pipes when its exit is seen (a crash's reason, or what
 * a child it started writes on the way down) used to be left out of the error. The server here exits
 * at once; a child it started in a session of its own (out of reach of the group kill) writes one more
 * line 400 ms later, then closes the pipe.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { startProcess, waitForHealth } from '../plugins/backends/server/index.js'

describe('a server that exits before it answers', () => {
  it('is reported with every line it and its children wrote, read to the end of its output', async () => {
    const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-exit-')), 'server.cjs')
    writeFileSync(script, `const { spawn } = require('node:child_process')
spawn('sh', ['-c', 'sleep 0.4; echo late words from its child >&2'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] }).unref()
process.stderr.write('going down\\n', () => process.exit(3))
`)
    const logged: string[] = []
    const proc = startProcess([process.execPath, script], {}, (line) => logged.push(line))
    try {
      // port 1: nothing answers there, so only the exit ends the wait
      const err = await waitForHealth('http://127.0.0.1:1/health', proc, 30_000).then(
        (ms) => new Error(`answered after ${ms} ms`),
        (e: unknown) => e as Error,
      )
      expect(err.message).toMatch(/^the server exited \(code 3\) before http:\/\/127\.0\.0\.1:1\/health answered; last output:\n/)
      expect(err.message).toContain('going down')
      expect(err.message).toContain('late words from its child')
      expect(logged).toEqual(['going down', 'late words from its child'])
    } finally {
      await proc.stop()
    }
  })
})
