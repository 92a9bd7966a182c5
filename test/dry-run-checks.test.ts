/**
 * `llem bench --dry-run` is what a CI "validate" step runs: it must refuse what a real run refuses
 * before its first experiment (an unknown reporter, one outputFile for several file reporters, a run
 * to resume that does not exist) and show the configuration warnings a real run would record; an
 * experiment no GPU slot can hold (which the real run records as NO_SLOT) is named, exit 1.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
// an arrival rate with the default of one request in flight: requests queue in the client
const BENCH = `import { bench } from 'llem'
bench('paced', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hi'] }, load: { rate: 4 } })
`

describe('llem bench --dry-run', () => {
  const dir = makeProject({ 'package.json': PKG, 'benchmarks/paced.bench.ts': BENCH })

  it('refuses an unknown reporter, exit 2, with a suggestion', async () => {
    const r = await runCli(dir, ['bench', '--dry-run', '--reporter', 'jsn'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown reporter "jsn"')
    expect(r.stderr).toContain('"json"')
    expect(r.stdout).toBe('')
  })

  it('refuses one --outputFile for several file reporters, exit 2', async () => {
    const r = await runCli(dir, ['bench', '--dry-run', '--reporter', 'json', '--reporter', 'csv', '--outputFile', 'out'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--outputFile.csv')
  })

  it('refuses --resume of a run that does not exist, exit 2', async () => {
    const r = await runCli(dir, ['bench', '--dry-run', '--resume', '2020-01-01T00-00-00-000-ffffff'])
    expect(r.code).toBe(2)
    // this project has no results directory at all: the message names where it looked
    expect(r.stderr).toMatch(/^llem: .*llem-results/)
    expect(r.stdout).toBe('')
  })

  it('refuses --gpus naming a GPU that is not there, exit 2', async () => {
    // no machine has this UUID: without NVML the flag names GPUs llem cannot see, with it none matches
    const r = await runCli(dir, ['bench', '--dry-run', '--gpus', 'GPU-00000000-0000-0000-0000-00000000dead'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--gpus')
  })

  it('prints the plan and the configuration warning of the paced bench, and creates nothing', async () => {
    const r = await runCli(dir, ['bench', '--dry-run'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('paced')
    const warning = r.stderr.split('\n').find((l) => l.includes('paced') && l.includes('load.rate'))
    expect(warning, r.stderr).toBeDefined()
    expect(warning).toContain('load.concurrency')
    expect(existsSync(path.join(dir, 'llem-results'))).toBe(false)
  })

  it('says which experiments no GPU slot of this machine can hold, and exits 1 as the real run would', async () => {
    // no GPU here (the probes find none): an experiment asking for one would be recorded NO_SLOT
    const r = await runCli(dir, ['bench', '--dry-run'], { LLEM_GPUS: '1' })
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain('llem: paced: would fail (NO_SLOT): needs 1 x 1 GPUs, but llem may use 0')
    expect(r.stdout).toContain('paced')
    expect(existsSync(path.join(dir, 'llem-results'))).toBe(false)
  })
})
