/**
 * The Slurm executor's text interfaces: the sbatch script it writes, and what it reads back from
 * scontrol (one line per task, pending ranges) and sacct (array tasks, pending brackets).
 */
import { describe, expect, it } from 'vitest'
import { jobScript, slurmTime } from '../core/slurm/job-script.js'
import { expandTaskIds, parseSacct, parseScontrol } from '../core/slurm/slurm-commands.js'

describe('the sbatch script', () => {
  it('every option becomes its #SBATCH line; setup runs before llem; array task k runs llem task tasks[k]', () => {
    const s = jobScript({
      runId: '2026-11-28T06-00-00-000-abcdef', runDir: '/shared/runs/r1', rootDir: '/shared/proj', index: 1, maxParallel: 4, llemCommand: ['/opt/node/bin/node', '/shared/llem/bin/llem.js'],
      array: { tasks: [3, 7, 8], gpus: 2, timeoutMs: 3_600_000 },
      options: { name: 'slurm', partition: 'gpu', cpusPerTask: 8, mem: '64G', account: 'proj', qos: 'high', constraint: 'h100', sbatchArgs: ['--exclusive'], setup: ['module load cuda/12.4'] },
    })
    const lines = s.split('\n')
    for (const l of ['#SBATCH --array=0-2%4', '#SBATCH --gres=gpu:2', '#SBATCH --partition=gpu', '#SBATCH --cpus-per-task=8', '#SBATCH --mem=64G', '#SBATCH --account=proj', '#SBATCH --qos=high', '#SBATCH --constraint=h100', '#SBATCH --exclusive', '#SBATCH --time=1:05:00', '#SBATCH --output=/shared/runs/r1/slurm/logs/%A_%a.log'])
      expect(lines).toContain(l)
    expect(lines.indexOf('module load cuda/12.4')).toBeLessThan(lines.findIndex((l) => l.startsWith('exec ')))
    expect(lines).toContain('TASKS=(3 7 8)')
    expect(lines.at(-2)).toBe('exec /opt/node/bin/node /shared/llem/bin/llem.js worker --run /shared/runs/r1 --task "${TASKS[$SLURM_ARRAY_TASK_ID]}"')
  })

  it('no GPUs, no gres line; paths with spaces are quoted; --time from the option wins', () => {
    const s = jobScript({ runId: 'r', runDir: '/my runs/r', rootDir: "/it's here", index: 0, maxParallel: null, llemCommand: ['node', 'llem.js'], array: { tasks: [0], gpus: 0, timeoutMs: 60_000 }, options: { name: 'slurm', time: '00:10:00' } })
    expect(s).not.toContain('--gres')
    expect(s).toContain('#SBATCH --array=0-0\n')
    expect(s).toContain('#SBATCH --time=00:10:00')
    expect(s).toContain(`cd '/it'\\''s here'`)
    expect(s).toContain("--run '/my runs/r'")
    expect(slurmTime(90 * 60_000)).toBe('1:35:00')
  })
})

describe('reading Slurm back', () => {
  it('a task given no GPU is shown none: Slurm sets no CUDA_VISIBLE_DEVICES without --gres, and unset is every GPU on the node', () => {
    const none = jobScript({ runId: 'r', runDir: '/r', rootDir: '/p', index: 0, maxParallel: null, llemCommand: ['node', 'llem.js'], array: { tasks: [0], gpus: 0, timeoutMs: 60_000 }, options: { name: 'slurm' } }).split('\n')
    const hide = none.indexOf('export CUDA_VISIBLE_DEVICES= ROCR_VISIBLE_DEVICES= HIP_VISIBLE_DEVICES=')
    expect(hide).toBeGreaterThan(0)
    expect(hide).toBeLessThan(none.findIndex((l) => l.startsWith('exec ')))
    const two = jobScript({ runId: 'r', runDir: '/r', rootDir: '/p', index: 0, maxParallel: null, llemCommand: ['node', 'llem.js'], array: { tasks: [0], gpus: 2, timeoutMs: 60_000 }, options: { name: 'slurm' } })
    expect(two).not.toContain('CUDA_VISIBLE_DEVICES=')
  })

  it('--max-parallel holds across arrays: each array after the first waits for the one before (afterany)', () => {
    const script = (after?: string[]) => jobScript({ runId: 'r', runDir: '/r', rootDir: '/p', index: 1, maxParallel: 1, llemCommand: ['node', 'llem.js'], array: { tasks: [1], gpus: 0, timeoutMs: 60_000 }, options: { name: 'slurm' }, after })
    expect(script(['4242'])).toContain('#SBATCH --dependency=afterany:4242\n')
    // a resumed run's first new array waits for every earlier job it still follows
    expect(script(['100', '101'])).toContain('#SBATCH --dependency=afterany:100:101\n')
    expect(script()).not.toContain('--dependency')
    expect(script([])).not.toContain('--dependency')
    expect(() => script(['42\n#SBATCH --x'])).toThrow('not a Slurm job id')
  })

  it('scontrol -o: finished tasks one per line, a pending range expanded, the first NodeList/ExitCode of each line', () => {
    const text = [
      'JobId=4 ArrayJobId=4 ArrayTaskId=2-3%2 ArrayTaskThrottle=2 JobName=wrap JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0 ReqNodeList=(null) ExcNodeList=(null) NodeList=(null)',
      'JobId=6 ArrayJobId=4 ArrayTaskId=1 JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 ReqNodeList=(null) ExcNodeList=(null) NodeList=node07 StdOut=/x/4_1.out',
      'JobId=5 ArrayJobId=4 ArrayTaskId=0 JobState=CANCELLED+ Reason=None ExitCode=0:15 StartTime=2026-11-28T06:01:02 EndTime=2026-11-28T06:03:00 NodeList=node02',
    ].join('\n')
    expect(parseScontrol(text)).toEqual([
      { taskId: 2, state: 'PENDING', exitCode: '0:0', node: null, reason: 'JobArrayTaskLimit', start: null },
      { taskId: 3, state: 'PENDING', exitCode: '0:0', node: null, reason: 'JobArrayTaskLimit', start: null },
      { taskId: 1, state: 'FAILED', exitCode: '3:0', node: 'node07', reason: 'NonZeroExitCode', start: null },
      // StartTime is the controller's local time, as this process reads a date without a zone
      { taskId: 0, state: 'CANCELLED', exitCode: '0:15', node: 'node02', reason: 'None', start: new Date(2026, 10, 28, 6, 1, 2).getTime() },
    ])
  })

  it('sacct -P: array tasks and a pending bracket', () => {
    const text = '123_0|COMPLETED|0:0|gpu01\n123_1|TIMEOUT|0:15|gpu02\n123_[2-4%2]|PENDING|0:0|None assigned\n'
    const tasks = parseSacct(text)
    expect(tasks.slice(0, 2)).toEqual([
      { taskId: 0, state: 'COMPLETED', exitCode: '0:0', node: 'gpu01', reason: null, start: null },
      { taskId: 1, state: 'TIMEOUT', exitCode: '0:15', node: 'gpu02', reason: null, start: null },
    ])
    expect(tasks.slice(2).map((t) => [t.taskId, t.state])).toEqual([[2, 'PENDING'], [3, 'PENDING'], [4, 'PENDING']])
    expect(expandTaskIds('0-2,5,7-8%3')).toEqual([0, 1, 2, 5, 7, 8])
  })
})
