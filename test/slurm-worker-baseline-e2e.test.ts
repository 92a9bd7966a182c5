/**
 * A Slurm task (`llem worker`) takes no fresh idle baseline while a sibling task of its run is running
 * on the same node, and says which. The run is planned by the real CLI with a stand-in `sbatch` (it
 * only hands out a job id), then the task is run by hand the way a node would run it. /proc/stat is a
 * fake, idle file, so the host's real load has no say in the outcome; only the sibling does.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { IDLE_PROC_STAT } from './fixtures/idle-host.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

describe('llem worker beside its siblings', () => {
  it('refuses a fresh baseline while a sibling runs on the node, and takes one once it has gone', async () => {
    const dir = makeProject({
      'benchmarks/a.bench.ts': "import { bench } from 'llem'\nbench('one', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 2 } })\n",
      'bin/sbatch': '#!/bin/sh\necho 4242\n',
    })
    chmodSync(path.join(dir, 'bin', 'sbatch'), 0o755)
    const probes = `probes: { nvml: false, rapl: false, 'cpu-estimate': { procStat: ${JSON.stringify(IDLE_PROC_STAT)} } },`
    writeFileSync(path.join(dir, 'llem.config.ts'), QUICK_CONFIG.replace('export default {', `export default {\n  executor: { name: 'slurm', gpusPerTask: 0 },\n  ${probes}`).replace('baseline: { seconds: 0.3 }', 'baseline: { seconds: 0.3, ttlSeconds: 0 }'))
    // a cache of its own: the baseline it takes from a fake idle /proc/stat must not be reused by
    // another test's run under this host's key
    const env = { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, LLEM_CACHE_DIR: path.join(dir, '.llem-cache') }
    const planned = await runCli(dir, ['bench', '--detach'], env)
    expect(planned.code, planned.stderr).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
    const rawOf = () => {
      const expDir = path.join(runDir, 'raw', readdirSync(path.join(runDir, 'raw'))[0])
      return JSON.parse(readFileSync(path.join(expDir, 'process_0.json'), 'utf8'))
    }

    // task 1 of the same run is running on this node: this test's own process stands in for it
    mkdirSync(path.join(runDir, 'slurm', 'active'), { recursive: true })
    const sibling = { task: 1, host: os.hostname(), pid: process.pid, slurm_task: '4242_1', started_at: new Date().toISOString() }
    writeFileSync(path.join(runDir, 'slurm', 'active', '1.json'), JSON.stringify(sibling))
    const beside = await runCli(dir, ['worker', '--run', runDir, '--task', '0'], env)
    expect(beside.code, beside.stderr + beside.stdout).toBe(0)
    const raw = rawOf()
    expect(raw.energy_breakdown.baseline_method).toBe('unavailable')
    const why = `other experiments are running on this machine (another task of this run on node ${os.hostname()}: task 1 (Slurm 4242_1), pid ${process.pid}): an idle baseline cannot be taken now`
    expect(raw.measurement_warnings).toContain(`no idle baseline: ${why}`)
    expect(raw.measurement_methodology.baseline).toBe(`unavailable: ${why}`)
    // the worker took itself off the node's list when it ended
    expect(existsSync(path.join(runDir, 'slurm', 'active', '0.json'))).toBe(false)

    // the sibling has ended (its process is gone: a pid no process has)
    writeFileSync(path.join(runDir, 'slurm', 'active', '1.json'), JSON.stringify({ ...sibling, pid: 2 ** 22 + 1 }))
    const alone = await runCli(dir, ['worker', '--run', runDir, '--task', '0'], env)
    expect(alone.code, alone.stderr + alone.stdout).toBe(0)
    expect(rawOf().energy_breakdown.baseline_method).toBe('fresh')
  })
})
