/**
 * A results directory llem cannot create or read is bad input: one line naming the directory and why,
 * exit 2, promptly, before any experiment runs. Node's own recursive mkdir never returns on /proc
 * (the kernel answers ENOENT for every new name there), so it must not be what llem relies on.
 */
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const BENCH = "import { bench } from 'llem'\nbench('t', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] } })\n"
// a wrong directory must be refused in seconds; a spinning llem is killed at this bound and fails the test
const PROMPT = { timeoutMs: 20_000 }

function expectRefused(r: { code: number | null; stderr: string; stdout: string }, ...mentions: string[]): void {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stderr).not.toContain('internal error')
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  for (const m of mentions) expect(lines[0]).toContain(m)
}

describe('an unusable results directory', () => {
  const dir = makeProject({ 'package.json': PKG, 'benchmarks/t.bench.ts': BENCH })

  it('under a file (package.json/results): names the file that is in the way', async () => {
    const r = await runCli(dir, ['bench', '--results-dir', 'package.json/results'], {}, PROMPT)
    expectRefused(r, 'package.json', 'not a directory')
  })

  it('in /proc: refused promptly instead of spinning', async () => {
    const r = await runCli(dir, ['bench', '--results-dir', '/proc/llem'], {}, PROMPT)
    expectRefused(r, '/proc/llem')
  })

  it('in /sys (the kernel refuses new entries): refused with the reason', async () => {
    const r = await runCli(dir, ['bench', '--results-dir', '/sys/llem-results'], {}, PROMPT)
    expectRefused(r, '/sys/llem-results')
  })

  it('a file given to a command that reads runs: not a directory, exit 2', async () => {
    const r = await runCli(dir, ['list', '--run', 'latest', '--results-dir', 'package.json'], {}, PROMPT)
    expectRefused(r, 'package.json', 'not a directory')
  })
})
