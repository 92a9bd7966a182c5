/**
 * Issue 14, item 14: a value written into the sbatch script must stay that value. A newline in `qos`
 * (or account, mem, time, constraint, partition, an sbatchArgs entry, a path) would become a line of
 * its own: a shell command run on the compute node. Such values are refused (exit 2, naming the file
 * and the field); every other value is quoted, in the #SBATCH lines as well as in the command.
 */
import { describe, expect, it } from 'vitest'
import { jobScript } from '../core/slurm/job-script.js'
import { makeProject, runCli } from './fixtures/project.js'

const base = { runId: 'r', runDir: '/shared/runs/r1', rootDir: '/shared/proj', index: 0, maxParallel: null, llemCommand: ['node', 'llem.js'], array: { tasks: [0], gpus: 0, timeoutMs: 60_000 } }

describe('the sbatch script refuses injection', () => {
  for (const field of ['qos', 'account', 'mem', 'time', 'constraint', 'partition'] as const)
    it(`a newline in ${field} is refused, naming the field`, () => {
      expect(() => jobScript({ ...base, options: { name: 'slurm', [field]: 'x\ntouch /tmp/pwned' } })).toThrow(new RegExp(`executor\\.${field}.*control character`))
    })

  it('a control character in an sbatchArgs entry or a path is refused', () => {
    expect(() => jobScript({ ...base, options: { name: 'slurm', sbatchArgs: ['--exclusive', '--comment=a\rb'] } })).toThrow(/executor\.sbatchArgs\[1\].*control character/)
    expect(() => jobScript({ ...base, runDir: '/shared/runs/r1\nid', options: { name: 'slurm' } })).toThrow(/run directory.*control character/)
  })

  it('values with spaces, quotes, # or $ are quoted in #SBATCH lines, so each stays one argument', () => {
    const s = jobScript({ ...base, runDir: '/shared/my runs/r1', options: { name: 'slurm', account: 'my proj', constraint: 'a|b', qos: 'q#1', sbatchArgs: ['--comment=it is "ok"'], mem: '16G' } })
    const lines = s.split('\n')
    expect(lines).toContain('#SBATCH --account="my proj"')
    expect(lines).toContain('#SBATCH --constraint="a|b"')
    // sbatch reads an unquoted # as the start of a comment
    expect(lines).toContain('#SBATCH --qos="q#1"')
    expect(lines).toContain('#SBATCH "--comment=it is \\"ok\\""')
    expect(lines).toContain('#SBATCH --output="/shared/my runs/r1/slurm/logs/%A_%a.log"')
    expect(lines).toContain('#SBATCH --mem=16G')
  })

  it('the CLI exits 2 on such a config, naming the file and the field', async () => {
    const dir = makeProject({
      'llem.config.ts': `export default { executor: { name: 'slurm', qos: 'high\\ntouch /tmp/pwned' } }\n`,
      'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('a', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['x'] } })\n`,
    })
    const r = await runCli(dir, ['list'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('llem.config.ts')
    expect(r.stderr).toMatch(/executor\.qos/)
    expect(r.stderr).toMatch(/control character/)
  })
})
