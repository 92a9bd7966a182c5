/**
 * The slurm executor against a real one-node Slurm (scripts/slurm-local: Debian's slurm-wlm + munge,
 * installed by .ci/run): a sweep of tiny llama-cpp experiments as an array job compared with a local
 * run of the same plan; a task that dies before writing a result; --resume resubmitting only that one;
 * Ctrl-C cancelling the array; --detach then status and report; Slurm's refusals as exit 2.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runResults } from './fixtures/engines.js'
import { BIN, makeProject, QUICK_CONFIG, REPO, runCli, TEST_CACHE } from './fixtures/project.js'
import { requireTool } from './fixtures/required-tool.js'

// every program scripts/slurm-local starts or the executor calls
const SLURM_TOOLS = ['sbatch', 'squeue', 'scancel', 'scontrol', 'slurmctld', 'slurmd', 'munged']
const missingSlurm = SLURM_TOOLS.filter((t) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' })
    return false
  } catch {
    return true
  }
})
const hasSlurm = requireTool('slurm-executor-e2e', missingSlurm.length === 0, `Slurm is not installed (missing: ${missingSlurm.join(', ')})`, 'apt-get install slurm-wlm munge; .ci/run does')

let slurmEnv: Record<string, string> = {}
beforeAll(() => {
  if (!hasSlurm) return
  const out = execFileSync('bash', [path.join(REPO, 'scripts', 'slurm-local'), 'up'], { encoding: 'utf8' })
  slurmEnv = { SLURM_CONF: /export SLURM_CONF=(\S+)/.exec(out)![1] }
}, 120_000)
afterAll(() => {
  if (hasSlurm) execFileSync('bash', [path.join(REPO, 'scripts', 'slurm-local'), 'down'])
})

const config = (executor: string) => QUICK_CONFIG.replace('export default {', `export default {\n  executor: { name: 'slurm', gpusPerTask: 0, cpusPerTask: 1, mem: '1G', pollIntervalMs: 300, ${executor} },`)
const sweepBench = `import { bench } from 'llem'\nbench('tiny', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there', 'Tell me'] }, load: { requests: 4 }, sweep: { 'load.concurrency': [1, 2, 3] } })\n`
const squeueJobs = () => execFileSync('squeue', ['-h', '-o', '%i'], { env: { ...process.env, ...slurmEnv }, encoding: 'utf8' }).trim()

describe.skipIf(!hasSlurm)('the slurm executor', () => {
  it('runs a sweep as an array job with the same experiments, statuses and metrics as a local run', async () => {
    const dir = makeProject({ 'llem.config.ts': config(''), 'benchmarks/t.bench.ts': sweepBench })
    const local = await runCli(dir, ['bench', '--executor', 'local'], slurmEnv)
    expect(local.code, local.stderr).toBe(0)
    const localResults = runResults(dir)
    const r = await runCli(dir, ['bench'], slurmEnv)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(r.stderr).toMatch(/submitted Slurm job \d+: 3 task\(s\) with 0 GPU\(s\) each/)
    const slurm = runResults(dir)
    expect(slurm[0].runDir).not.toBe(localResults[0].runDir)
    const key = (rs: any[]) => rs.map((a) => [a.experiment_id, a.status, a.total_output_tokens]).sort()
    expect(key(slurm)).toEqual(key(localResults))
    for (const a of slurm) {
      const raw = a.process_results[0]
      expect(raw.environment.slurm).toMatchObject({ state: 'COMPLETED', exit_code: '0:0', node: 'localhost' })
      expect(raw.environment.scheduler.name).toBe('slurm')
      expect(raw.energy_metrics.energy_per_token_j).toBeGreaterThan(0)
      expect(raw.inference_metrics.latency_measurements.itl_full_ms.length).toBeGreaterThan(0)
      expect(existsSync(path.join(a.runDir, raw.environment.slurm.log_path))).toBe(true)
    }
    const script = readFileSync(path.join(slurm[0].runDir, 'slurm', 'job-0.sh'), 'utf8')
    expect(script).toContain('#SBATCH --array=0-2')
    expect(script).toContain('#SBATCH --cpus-per-task=1')
    expect(script).not.toContain('--gres')
  })

  it('data-parallel shards become array tasks and are aggregated as in the local executor', async () => {
    const dir = makeProject({ 'llem.config.ts': config(''), 'benchmarks/d.bench.ts': `import { bench } from 'llem'\nbench('dp', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there', 'Tell me'] }, load: { requests: 8 }, parallel: { data: 2 } })\n` })
    const r = await runCli(dir, ['bench'], slurmEnv)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/submitted Slurm job \d+: 2 task\(s\)/)
    const [a] = runResults(dir)
    expect(a.aggregation.num_processes).toBe(2)
    expect(a.process_results.map((p: any) => [p.process_index, p.inference_metrics.num_requests, p.environment.slurm.array_task_id])).toEqual([[0, 4, 0], [1, 4, 1]])
    expect(a.total_output_tokens).toBe(8 * 16)
  })

  it('a task that dies before writing a result is recorded with its Slurm state, exit code and log; --resume resubmits only it', async () => {
    const dir = makeProject({ 'llem.config.ts': 'placeholder', 'benchmarks/t.bench.ts': sweepBench })
    const flag = path.join(dir, 'fail-once')
    writeFileSync(flag, '')
    writeFileSync(path.join(dir, 'llem.config.ts'), config(`setup: ['if [ -e ${flag} ] && [ "$SLURM_ARRAY_TASK_ID" = 1 ]; then echo node setup failed; exit 7; fi']`))
    const r = await runCli(dir, ['bench'], slurmEnv)
    expect(r.code).toBe(1)
    const failed = runResults(dir).filter((a) => a.status !== 'completed')
    expect(failed).toHaveLength(1)
    const raw = failed[0].process_results[0]
    expect(failed[0].error.code).toBe('SLURM_TASK_FAILED')
    expect(failed[0].error.message).toMatch(/Slurm task \d+_1 ended FAILED \(exit code 7:0 on localhost\) without writing a result/)
    expect(failed[0].error.message).toContain('node setup failed')
    expect(raw.environment.slurm.state).toBe('FAILED')

    execFileSync('rm', [flag])
    const again = await runCli(dir, ['bench', '--resume'], slurmEnv)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain('2 of 3 experiments already completed')
    expect(again.stderr).toMatch(/submitted Slurm job \d+: 1 task\(s\)/)
    const all = runResults(dir)
    expect(all.map((a) => a.status)).toEqual(['completed', 'completed', 'completed'])
    const jobs = JSON.parse(readFileSync(path.join(all[0].runDir, 'slurm', 'jobs.json'), 'utf8'))
    expect(jobs.jobs.map((j: any) => j.tasks.length)).toEqual([3, 1])
  })

  it('Ctrl-C cancels the array: the tasks are recorded as interrupted and nothing stays queued', async () => {
    const dir = makeProject({ 'llem.config.ts': config(''), 'benchmarks/t.bench.ts': `import { bench } from 'llem'\nbench('long', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 1000000 }, timeout: 600000, sweep: { 'load.concurrency': [1, 2, 3] } })\n` })
    const child = spawn(process.execPath, [BIN, 'bench'], { cwd: dir, env: { ...process.env, ...slurmEnv, LLEM_CACHE_DIR: TEST_CACHE, CI: 'true', NO_COLOR: '1' } })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const closed = new Promise((r) => child.on('close', r))
    while (!out.includes('→ long')) await new Promise((r) => setTimeout(r, 100))
    const job = /submitted Slurm job (\d+)/.exec(out)![1]
    child.kill('SIGINT')
    expect(await closed).toBe(130)
    expect(out).toContain(`cancelling Slurm job(s) ${job}`)
    const results = runResults(dir)
    expect(results).toHaveLength(3)
    expect(results.every((a) => a.status === 'interrupted')).toBe(true)
    expect(squeueJobs().split('\n').filter((l) => l.startsWith(`${job}_`) || l === job)).toEqual([])
  })

  it('--detach submits and exits; status follows and collects; report writes the reports', async () => {
    const dir = makeProject({ 'llem.config.ts': config(''), 'benchmarks/t.bench.ts': sweepBench })
    const r = await runCli(dir, ['bench', '--detach'], slurmEnv)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/submitted to Slurm as job \d+; results go to llem-results\//)
    const runDir = /results go to (\S+)/.exec(r.stdout)![1]
    let status: any
    for (let i = 0; i < 120; i++) {
      const s = await runCli(dir, ['status', runDir, '--json'], slurmEnv)
      expect(s.code, s.stderr).toBe(0)
      status = JSON.parse(s.stdout)
      if (status.unfinished_tasks === 0) break
      await new Promise((res) => setTimeout(res, 500))
    }
    expect(status.unfinished_tasks).toBe(0)
    expect(status.finished_experiments).toBe(3)
    expect(status.tasks.map((t: any) => t.result)).toEqual(['completed', 'completed', 'completed'])
    const rep = await runCli(dir, ['report', runDir, '--reporter', 'json'], slurmEnv)
    expect(rep.code, rep.stderr).toBe(0)
    // the report of the detached run holds the sweep's three experiments, each completed, one per concurrency
    const results: any[] = JSON.parse(readFileSync(path.join(dir, runDir, 'results.json'), 'utf8')).results
    expect(results.map((x) => x.status)).toEqual(['completed', 'completed', 'completed'])
    expect(results.map((x) => x.effective_config.load.concurrency).sort()).toEqual([1, 2, 3])
  })

  it("Slurm's refusals are bad input: an unknown partition, a job it rejects, no sbatch", async () => {
    const dir = makeProject({ 'llem.config.ts': config(''), 'benchmarks/t.bench.ts': sweepBench })
    const p = await runCli(dir, ['bench', '--executor.partition', 'gpu-nope'], slurmEnv)
    expect(p.code).toBe(2)
    expect(p.stderr).toContain('executor.partition: Slurm has no partition "gpu-nope" (partitions: debug)')
    const m = await runCli(dir, ['bench', '--executor.mem', '999999G'], slurmEnv)
    expect(m.code).toBe(2)
    expect(m.stderr).toMatch(/Slurm rejected the job \(.*job-0\.sh\): sbatch: error: /)
    // a PATH with node and nothing of Slurm's
    const bin = path.join(dir, 'bin')
    mkdirSync(bin)
    symlinkSync(process.execPath, path.join(bin, 'node'))
    const none = await runCli(dir, ['bench'], { ...slurmEnv, PATH: bin })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('not found on PATH: the slurm executor runs where Slurm')
  })

  it('a worker on a node that cannot see the run directory says so and exits 3', async () => {
    const dir = makeProject({})
    const r = await runCli(dir, ['worker', '--run', '/nonexistent/run', '--task', '0'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/the run directory \/nonexistent\/run \(task 0\) is not visible on \S+: it must be on a filesystem every node shares/)
  })
})
