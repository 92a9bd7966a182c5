/**
 * An experiment's log is bounded: a server that prints without pause (tens of MB, or one line that
 * never ends) used to be held line by line in the worker's memory until the experiment ended. Now the
 * lines go to logs/<experiment>.log as they come, past LLEM_MAX_LOG_BYTES they are counted instead
 * (the last ones kept after a note), and memory holds the pending 256 KiB and the last 200 lines.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExperimentLog } from '../core/results/experiment-log.js'
import { runResults } from './fixtures/engines.js'
import { makeProject, runCli } from './fixtures/project.js'

const LIMIT = 1_000_000

describe('the experiment log', () => {
  it('holds a bounded amount in memory however much is pushed, and writes at most its limit', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-log-')), 'logs', 'x.log')
    const log = new ExperimentLog(file, { maxBytes: LIMIT, transform: (l) => l.replace('secret', '[redacted]') })
    let held = 0
    for (let i = 0; i < 200_000; i++) {
      log.push(`line ${i} secret ${'x'.repeat(200)}`)
      held = Math.max(held, log.heldBytes())
    }
    log.push('y'.repeat(1_000_000))
    log.close()
    // 40 MB pushed: the pending batch (256 KiB) and 200 lines of at most 16 KiB
    expect(held).toBeLessThan(256 * 1024 + 200 * 16 * 1024 + 2 * 17 * 1024)
    const text = readFileSync(file, 'utf8')
    expect(text.length).toBeLessThan(LIMIT + 200 * 17 * 1024)
    expect(text.startsWith('line 0 [redacted] x')).toBe(true)
    expect(text).toMatch(/\[llem: \d+ more lines \(\d+ bytes\) past this log's limit of 1000000 bytes \(LLEM_MAX_LOG_BYTES\): only the last 200 of them follow\]\n/)
    expect(text).toContain(`line 199999 [redacted] ${'x'.repeat(200)}\n`)
    expect(text.trimEnd().endsWith(`${'y'.repeat(16 * 1024)} [llem: ${1_000_000 - 16 * 1024} more characters of this line not kept]`)).toBe(true)
    expect(log.tail(2)[0]).toContain('line 199999')
  })

  it('through a run: a server that floods its output leaves a log of bounded size, its tail in the error', async () => {
    const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'llem-flood-')), 'flood.cjs')
    // ~8 MB of output, then a line that never ends, then its last words on stderr, and it exits (code 3)
    // before it ever answers. Its exit ends the wait (the 60 s startup timeout is never reached), and
    // llem reads what is still in the pipes before quoting the tail: before, a timeout raced the flood
    // and on a loaded CI machine fired before the last words were read
    writeFileSync(script, `let i = 0
const w = () => { while (i < 40000) { if (!process.stdout.write('flood line ' + i++ + ' ' + 'z'.repeat(190) + '\\n')) return process.stdout.once('drain', w) } process.stdout.write('q'.repeat(300000), () => process.stderr.write('last words\\n', () => process.exit(3))) }
w()
`)
    const dir = makeProject({
      'llem.config.ts': `export default { probes: ['cpu-estimate'], measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 } } }\n`,
      'benchmarks/f.bench.ts': `import { bench } from 'llem'\nbench('flood', { backend: { name: 'server', command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, '{port}'], startupTimeoutMs: 60000 }, model: 'm', dataset: { prompts: ['p'] } })\n`,
    })
    const r = await runCli(dir, ['bench'], { LLEM_MAX_LOG_BYTES: String(LIMIT) })
    expect(r.code, r.stderr + r.stdout).toBe(1)
    const [agg] = runResults(dir)
    const raw = agg.process_results[0]
    expect(raw.error.code).toBe('BACKEND_FAILED')
    expect(raw.error.message).toContain('the server exited (code 3) before')
    const logFile = path.join(agg.runDir, raw.log_path)
    // 8 MB printed; at most the limit and the kept tail written
    expect(statSync(logFile).size).toBeLessThan(LIMIT + 200 * 17 * 1024)
    expect(readFileSync(logFile, 'utf8')).toContain('[llem: ')
    expect(raw.error.log_tail.some((l: string) => l.includes('last words'))).toBe(true)
    expect(readdirSync(path.join(agg.runDir, 'logs'))).toHaveLength(1)
  }, 60_000)
})
